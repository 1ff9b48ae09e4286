/** Why the worker refused the human's last edit (the edit changed nothing). */
export function Refusal({ refusal }: { refusal: string | null }) {
  if (!refusal) return null;
  return (
    <p className="refusal" data-testid="refusal" role="alert">
      <strong>Refused:</strong> {refusal}
    </p>
  );
}
