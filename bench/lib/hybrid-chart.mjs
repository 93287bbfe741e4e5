// Hand-written SVG chart of the hybrid suite: quality (y) against p50 latency (x, log scale), one point per
// system per dataset. Rows without a quality figure (random-weight models: latency only) are drawn hollow in
// a separate "n/a" strip under the plot, so that no random-weight point reads as a quality claim.

const W = 960;
const H = 600;
const M = { left: 70, right: 220, top: 50, bottom: 110 };
const PALETTE = [
  '#1f77b4',
  '#d62728',
  '#2ca02c',
  '#9467bd',
  '#ff7f0e',
  '#8c564b',
  '#e377c2',
  '#17becf',
  '#7f7f7f',
  '#bcbd22',
];

function esc(s) {
  return String(s).replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

function marker(shape, x, y, color, hollow) {
  const fill = hollow ? 'none' : color;
  const s = 5;
  if (shape === 1)
    return `<rect x="${(x - s).toFixed(1)}" y="${(y - s).toFixed(1)}" width="${2 * s}" height="${2 * s}" fill="${fill}" stroke="${color}" stroke-width="1.5"/>`;
  if (shape === 2)
    return `<path d="M${x.toFixed(1)},${(y - s - 1).toFixed(1)} L${(x + s + 1).toFixed(1)},${(y + s).toFixed(1)} L${(x - s - 1).toFixed(1)},${(y + s).toFixed(1)} Z" fill="${fill}" stroke="${color}" stroke-width="1.5"/>`;
  return `<circle cx="${x.toFixed(1)}" cy="${y.toFixed(1)}" r="${s}" fill="${fill}" stroke="${color}" stroke-width="1.5"/>`;
}

/**
 * points: [{dataset, system, p50, quality (number | null)}]. Returns the SVG text.
 * `metric` names the y axis (e.g. "nDCG@10").
 */
export function recallLatencySvg(
  points,
  { metric = 'nDCG@10', title = 'tamsaek hybrid bench: quality vs p50 latency' } = {},
) {
  const valid = points.filter((p) => Number.isFinite(p.p50) && p.p50 > 0);
  const systems = [...new Set(valid.map((p) => p.system))];
  const datasets = [...new Set(valid.map((p) => p.dataset))];
  const color = (s) => PALETTE[systems.indexOf(s) % PALETTE.length];
  const shape = (d) => datasets.indexOf(d) % 3;
  const xs = valid.map((p) => p.p50);
  const lo = 10 ** Math.floor(Math.log10(Math.min(...xs, 1)));
  let hi = 10 ** Math.ceil(Math.log10(Math.max(...xs, 1) * 1.0001));
  if (!(hi > lo)) hi = lo * 10;
  const pw = W - M.left - M.right;
  const plotBottom = H - M.bottom - 40; // room for the n/a strip below
  const ph = plotBottom - M.top;
  const naY = plotBottom + 35;
  const x = (v) => M.left + ((Math.log10(v) - Math.log10(lo)) / (Math.log10(hi) - Math.log10(lo))) * pw;
  const y = (v) => M.top + (1 - v) * ph;
  const out = [];
  out.push(
    `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-family="sans-serif" font-size="11">`,
  );
  out.push(`<rect width="${W}" height="${H}" fill="white"/>`);
  out.push(`<text x="${M.left}" y="24" font-size="15" font-weight="bold">${esc(title)}</text>`);
  // grid + axes
  for (let e = Math.log10(lo); e <= Math.log10(hi) + 1e-9; e++) {
    const v = 10 ** e;
    const gx = x(v);
    out.push(`<line x1="${gx.toFixed(1)}" y1="${M.top}" x2="${gx.toFixed(1)}" y2="${naY + 12}" stroke="#ddd"/>`);
    out.push(
      `<text x="${gx.toFixed(1)}" y="${naY + 28}" text-anchor="middle">${v >= 1 ? v : v.toPrecision(1)} ms</text>`,
    );
    for (const m of [2, 5])
      if (v * m < hi)
        out.push(
          `<line x1="${x(v * m).toFixed(1)}" y1="${M.top}" x2="${x(v * m).toFixed(1)}" y2="${plotBottom}" stroke="#f2f2f2"/>`,
        );
  }
  for (let t = 0; t <= 10; t += 2) {
    const gy = y(t / 10);
    out.push(`<line x1="${M.left}" y1="${gy.toFixed(1)}" x2="${M.left + pw}" y2="${gy.toFixed(1)}" stroke="#ddd"/>`);
    out.push(`<text x="${M.left - 6}" y="${(gy + 4).toFixed(1)}" text-anchor="end">${(t / 10).toFixed(1)}</text>`);
  }
  out.push(`<rect x="${M.left}" y="${M.top}" width="${pw}" height="${ph}" fill="none" stroke="#333"/>`);
  out.push(
    `<rect x="${M.left}" y="${naY - 12}" width="${pw}" height="24" fill="#fafafa" stroke="#999" stroke-dasharray="3,3"/>`,
  );
  out.push(`<text x="${M.left - 6}" y="${naY + 4}" text-anchor="end">n/a</text>`);
  out.push(
    `<text x="${M.left + pw / 2}" y="${H - 40}" text-anchor="middle" font-size="12">p50 latency per query (log scale, single-threaded, sequential queries)</text>`,
  );
  out.push(
    `<text transform="translate(18 ${M.top + ph / 2}) rotate(-90)" text-anchor="middle" font-size="12">${esc(metric)}</text>`,
  );
  out.push(
    `<text x="${M.left}" y="${H - 18}" fill="#555">hollow markers in the dashed n/a strip: random-weight test models (latency only, no quality claim)</text>`,
  );
  // points
  for (const p of valid) {
    const px = x(p.p50);
    const has = Number.isFinite(p.quality);
    const py = has ? y(Math.max(0, Math.min(1, p.quality))) : naY;
    out.push(
      `<g><title>${esc(`${p.dataset} · ${p.system}: p50 ${p.p50.toFixed(3)} ms, ${metric} ${has ? p.quality.toFixed(4) : 'n/a'}`)}</title>${marker(shape(p.dataset), px, py, color(p.system), !has)}</g>`,
    );
    if (has)
      out.push(
        `<text x="${(px + 8).toFixed(1)}" y="${(py - 6).toFixed(1)}" fill="${color(p.system)}" font-size="10">${esc(p.system)}</text>`,
      );
  }
  // legend
  let ly = M.top + 4;
  const lx = W - M.right + 16;
  out.push(`<text x="${lx}" y="${ly}" font-weight="bold">system</text>`);
  for (const s of systems) {
    ly += 18;
    out.push(`${marker(0, lx + 6, ly - 4, color(s), false)}<text x="${lx + 18}" y="${ly}">${esc(s)}</text>`);
  }
  ly += 28;
  out.push(`<text x="${lx}" y="${ly}" font-weight="bold">dataset</text>`);
  for (const d of datasets) {
    ly += 18;
    out.push(`${marker(shape(d), lx + 6, ly - 4, '#333', false)}<text x="${lx + 18}" y="${ly}">${esc(d)}</text>`);
  }
  out.push('</svg>');
  return `${out.join('\n')}\n`;
}
