// Output formats of the bench runner: the markdown results table and the --out JSON document.

function cell(value) {
  return String(value).replace(/\|/g, '\\|').replace(/\n/g, ' ');
}

/** A markdown table `name | value | unit` of `results` ([{name, value, unit}]). */
export function resultsTable(results) {
  const lines = ['| name | value | unit |', '| --- | ---: | --- |'];
  for (const r of results) lines.push(`| ${cell(r.name)} | ${cell(r.value)} | ${cell(r.unit ?? '')} |`);
  return lines.join('\n');
}

/** The --out document: {suite, date, machine, results[, notes]}. */
export function resultDocument(suite, date, machine, results, notes) {
  const doc = {
    suite,
    date: date.toISOString(),
    machine,
    results: results.map(({ name, value, unit }) => ({ name, value, unit })),
  };
  if (notes?.length) doc.notes = notes;
  return doc;
}
