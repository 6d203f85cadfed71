// Turns case results into the terminal table, results.json and RESULTS.md.
// Used only by bench/run.mjs, which is the only writer of the results files.

/** @param {number | null | undefined} value */
export function formatNumber(value) {
  if (value === null || value === undefined || !Number.isFinite(value)) return '—'
  const abs = Math.abs(value)
  if (abs >= 10_000) return Math.round(value).toLocaleString('en')
  if (abs >= 100) return value.toFixed(0)
  if (abs >= 10) return value.toFixed(1)
  if (abs >= 1) return value.toFixed(2)
  return value.toPrecision(2)
}

export function formatValue(value, unit) {
  return value === null || value === undefined ? '—' : `${formatNumber(value)} ${unit}`.trim()
}

export function status(row) {
  if (row.error) return `ERROR: ${row.error}`
  if (row.syncline === null && row.note) return row.note
  if (row.goal === null) return 'info'
  if (row.met === true) return 'MET'
  if (row.met === false) return 'NOT MET'
  return 'not judged'
}

function ratioText(row) {
  if (row.ratio === null || row.ratio === undefined) return '—'
  return `${formatNumber(row.ratio)}× ${row.ratioTo === 'limit' ? 'limit' : shortName(row.ratioTo ?? '')}`.trim()
}

function shortName(name) {
  return name.replace(/\s*\(.*\)\s*$/, '')
}

function peersText(row) {
  return Object.entries(row.peers ?? {}).map(([name, value]) => `${name}: ${formatValue(value, row.unit)}`)
}

function wrap(text, width) {
  const lines = []
  for (const paragraph of String(text).split('\n')) {
    let line = ''
    for (const word of paragraph.split(' ')) {
      if (line && line.length + 1 + word.length > width) {
        lines.push(line)
        line = word
      } else {
        line = line ? `${line} ${word}` : word
      }
      while (line.length > width) {
        lines.push(line.slice(0, width))
        line = line.slice(width)
      }
    }
    lines.push(line)
  }
  return lines
}

/** A plain-text table whose cells may hold several lines. */
export function textTable(headers, rows, widths) {
  const cells = rows.map((cols) => cols.map((col, i) => (Array.isArray(col) ? col : [col]).flatMap((part) => wrap(part, widths[i]))))
  const pad = (text, width) => text + ' '.repeat(Math.max(0, width - text.length))
  const rule = widths.map((width) => '-'.repeat(width)).join('-+-')
  const out = [headers.map((header, i) => pad(header, widths[i])).join(' | '), rule]
  for (const row of cells) {
    const height = Math.max(...row.map((cell) => cell.length))
    for (let line = 0; line < height; line++) out.push(row.map((cell, i) => pad(cell[line] ?? '', widths[i])).join(' | ').trimEnd())
    out.push(rule)
  }
  return out.join('\n')
}

export function terminalTable(rows) {
  return textTable(
    ['benchmark', 'metric', 'syncline', 'peers and references', 'ratio', 'goal', 'status'],
    rows.map((row) => [
      `${row.group.split('.')[0]}. ${row.name}`,
      row.metric,
      formatValue(row.syncline, row.unit),
      peersText(row),
      ratioText(row),
      row.goal ?? '—',
      status(row),
    ]),
    [30, 20, 13, 42, 13, 18, 18],
  )
}

function md(text) {
  return String(text).replace(/\|/g, '\\|').replace(/\n/g, '<br>')
}

export function markdown(results) {
  const { machine, date, durationSeconds, cases, notes } = results
  const judged = cases.filter((row) => row.met !== null || row.error)
  const lines = [
    '# syncline benchmark results',
    '',
    `Measured ${date} by \`npm run bench\` (${durationSeconds} s) on ${machine.cpu} × ${machine.cores} cores, ${machine.memoryGB} GB, ${machine.os}, Node ${machine.node}${machine.chromium ? `, ${machine.chromium}` : ''}.`,
    'Every figure was measured in this run, on this machine; peers and references ran alongside syncline. Medians (p50) unless the metric says otherwise; ratio = syncline ÷ the named reference.',
    '',
    '## Goals',
    '',
  ]
  for (const row of judged) {
    const verdict = row.error ? `**ERROR** — ${row.error}` : row.met ? '**met**' : '**NOT MET**'
    lines.push(`- ${verdict}: ${row.group.split('.')[0]}. ${row.name} (${row.metric}) — goal ${row.goal ?? '—'}; syncline ${formatValue(row.syncline, row.unit)}${row.ratio !== null ? `, ${ratioText(row)}` : ''}.`)
  }
  const pendingRows = cases.filter((row) => row.syncline === null && row.note?.startsWith('not measured yet') && !row.error)
  if (pendingRows.length) {
    lines.push(`- Not measured yet (documents not built): ${[...new Set(pendingRows.map((row) => `${row.group.split('.')[0]}. ${row.name}`))].join('; ')}.`)
  }
  lines.push('', '## All figures', '', '| benchmark | metric | syncline | peers and references | ratio | goal | status |', '|---|---|---|---|---|---|---|')
  for (const row of cases) {
    lines.push(`| ${md(`${row.group.split('.')[0]}. ${row.name}`)} | ${md(row.metric)} | ${md(formatValue(row.syncline, row.unit))} | ${md(peersText(row).join('\n'))} | ${md(ratioText(row))} | ${md(row.goal ?? '—')} | ${md(status(row))} |`)
  }
  lines.push('', '## Notes', '')
  for (const [group, groupNotes] of Object.entries(notes)) {
    if (groupNotes.length === 0) continue
    lines.push(`**${group}**`, '', ...groupNotes.map((note) => `- ${note}`), '')
  }
  lines.push('Raw figures: [`results.json`](./results.json). Cases live in `bench/cases/`, one file each; `bench/run.mjs` runs each in its own process with a time limit.', '')
  return lines.join('\n')
}
