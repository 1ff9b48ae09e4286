/** The diagram's two fonts: what the layout measures must be what the SVG draws (inspector.css). */
export const fonts = {
  title: { size: 13, family: 'system-ui, -apple-system, "Segoe UI", Roboto, sans-serif', weight: 600 },
  label: { size: 11, family: "ui-monospace, 'SFMono-Regular', 'JetBrains Mono', Menlo, Consolas, monospace", weight: 400 },
} as const;
