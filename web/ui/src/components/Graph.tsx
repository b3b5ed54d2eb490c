// The graph view: a uPlot chart of a range query's matrix, with uPlot's
// legend (hover values) and an optional stacked mode. Native histogram
// series are drawn as a line of their count, labelled "(histogram count)"
// (Prometheus 3.x draws a bucket heatmap instead; not implemented here).
import { useEffect, useRef } from 'preact/hooks';
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';
import { alignSeries, MatrixSeries, plotLines } from '../lib/align';

export type { MatrixSeries };

const COLORS = ['#1f77b4', '#ff7f0e', '#2ca02c', '#d62728', '#9467bd', '#8c564b', '#e377c2', '#7f7f7f', '#bcbd22', '#17becf'];

interface GraphProps {
  series: MatrixSeries[];
  startS: number;
  endS: number;
  stepS: number;
  stacked: boolean;
}

export function Graph({ series, startS, endS, stepS, stacked }: GraphProps) {
  const ref = useRef<HTMLDivElement>(null);
  useEffect(() => {
    const el = ref.current!;
    const lines = plotLines(series);
    const data = alignSeries(lines, startS, endS, stepS, stacked) as uPlot.AlignedData;
    const opts: uPlot.Options = {
      width: Math.max(el.clientWidth, 300),
      height: 360,
      series: [
        {},
        ...lines.map((s, i) => ({
          label: s.label,
          stroke: COLORS[i % COLORS.length],
          fill: stacked ? COLORS[i % COLORS.length] + '40' : undefined,
          width: 1.5,
          spanGaps: false,
        })),
      ],
      axes: [{}, { size: 70 }],
      legend: { show: true, live: true },
      cursor: { focus: { prox: 16 } },
    };
    const plot = new uPlot(opts, data, el);
    const onResize = () => plot.setSize({ width: Math.max(el.clientWidth, 300), height: 360 });
    window.addEventListener('resize', onResize);
    return () => {
      window.removeEventListener('resize', onResize);
      plot.destroy();
    };
  }, [series, startS, endS, stepS, stacked]);
  return <div class="graph" ref={ref} />;
}
