// A time-series chart drawn by uPlot on a canvas, sized to its container. uPlot styles its elements through the
// CSSOM only (element.style), which the page's CSP (style-src 'self') allows; its style sheet is bundled.
import { useEffect, useRef } from "preact/hooks";
import uPlot from "uplot";
import "uplot/dist/uPlot.min.css";

export interface Series {
  label: string;
  values: (number | null)[];
  color: string;
  /** Draw against the right-hand axis (a second unit). */
  right?: boolean;
}

export interface ChartProps {
  title: string;
  /** Seconds since the epoch, ascending. */
  x: number[];
  series: Series[];
  format?: (v: number) => string;
  formatRight?: (v: number) => string;
}

const HEIGHT = 220;

export function Chart({ title, x, series, format, formatRight }: ChartProps) {
  const box = useRef<HTMLDivElement>(null);
  useEffect(() => {
    const el = box.current;
    if (!el) return;
    const plot = new uPlot(
      plotOptions({ x, series, format, formatRight }, Math.max(280, el.clientWidth)),
      [x, ...series.map((s) => s.values)] as uPlot.AlignedData,
      el,
    );
    const resize = new ResizeObserver(() => plot.setSize({ width: Math.max(280, el.clientWidth), height: HEIGHT }));
    resize.observe(el);
    return () => {
      resize.disconnect();
      plot.destroy();
    };
  }, [x, series, format, formatRight]);
  return (
    <figure class="chart">
      <figcaption>{title}</figcaption>
      <div ref={box} role="img" aria-label={`${title}: ${series.map((s) => s.label).join(", ")} per day`} />
    </figure>
  );
}

/**
 * The days on the x axis are UTC days, as GET /v1/analytics groups them: its ticks and legend read each timestamp
 * in UTC, not in the browser's time zone (where UTC midnight is the evening before, west of Greenwich).
 */
export const utcDate = (ts: number): Date => uPlot.tzDate(new Date(ts * 1e3), "Etc/UTC");

/** uPlot's options for a chart of `width` pixels. */
export function plotOptions(
  { x, series, format, formatRight }: Omit<ChartProps, "title">,
  width: number,
): uPlot.Options {
  const tick = (f?: (v: number) => string) => (_u: uPlot, values: number[]) =>
    values.map((v) => (f ? f(v) : String(v)));
  const hasRight = series.some((s) => s.right);
  return {
    width,
    height: HEIGHT,
    tzDate: utcDate,
    scales: { x: { time: true }, y: { range: (_u, min, max) => [Math.min(0, min), max > 0 ? max * 1.1 : 1] } },
    axes: [
      { stroke: "#444" },
      { stroke: "#444", values: tick(format), size: 70 },
      ...(hasRight ? [{ scale: "right", side: 1, stroke: "#444", values: tick(formatRight), size: 70 }] : []),
    ],
    series: [
      {},
      ...series.map((s) => ({
        label: s.label,
        stroke: s.color,
        width: 2,
        points: { show: x.length < 40 },
        ...(s.right ? { scale: "right" } : {}),
        value: (_u: uPlot, v: number | null) => (v === null ? "—" : ((s.right ? formatRight : format)?.(v) ?? v)),
      })),
    ],
  };
}
