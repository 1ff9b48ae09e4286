/** A point of a routed edge, in SVG user units. */
export interface Point {
  x: number;
  y: number;
}

const RADIUS = 5;

/** An orthogonal route (ELK's sections) as an SVG path, its corners rounded. */
export function pathOf(points: readonly Point[], radius = RADIUS): string {
  if (points.length === 0) return '';
  const [first, ...rest] = points;
  let d = `M ${first!.x} ${first!.y}`;
  for (let index = 0; index < rest.length; index += 1) {
    const corner = rest[index]!;
    const next = rest[index + 1];
    const previous = index === 0 ? first! : rest[index - 1]!;
    if (!next) {
      d += ` L ${corner.x} ${corner.y}`;
      break;
    }
    const into = Math.min(radius, Math.hypot(corner.x - previous.x, corner.y - previous.y) / 2);
    const out = Math.min(radius, Math.hypot(next.x - corner.x, next.y - corner.y) / 2);
    const before = toward(corner, previous, into);
    const after = toward(corner, next, out);
    d += ` L ${before.x} ${before.y} Q ${corner.x} ${corner.y} ${after.x} ${after.y}`;
  }
  return d;
}

function toward(from: Point, to: Point, distance: number): Point {
  const length = Math.hypot(to.x - from.x, to.y - from.y) || 1;
  return { x: from.x + ((to.x - from.x) / length) * distance, y: from.y + ((to.y - from.y) / length) * distance };
}
