// The HTAN dashboard's pipeline, in small: compiles the atlas table (data/compiled/atlases.feather)
// and renders the dashboard's static pages from it (data/site/dashboard/), which the release
// publishes to the S3 website bucket. The same script is the pipeline image's entry point.
// Pages carry no timestamps, so an unchanged atlas table gives byte-identical pages (and the
// next sync uploads nothing).
import { mkdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { tableFromArrays, tableToIPC } from 'apache-arrow';

// The data portal's token: read from Secrets Manager by the runbook, never written anywhere.
if (!process.env.SYNAPSE_AUTH_TOKEN) {
  console.error('SYNAPSE_AUTH_TOKEN is not set: the pipeline reads the data portal with it');
  process.exit(2);
}
const compiledDir = process.env.HTAN_COMPILED_DIR ?? 'data/compiled';
const siteDir = process.env.HTAN_SITE_DIR ?? 'data/site';
const release = process.env.HTAN_DATA_RELEASE ?? 'v5';

const atlases = [
  { id: 'hta1', name: 'HTAN HTAPP', organ: 'Breast', participants: 62, biospecimens: 210 },
  { id: 'hta4', name: 'HTAN CHOP', organ: 'Brain', participants: 31, biospecimens: 95 },
  { id: 'hta7', name: 'HTAN HMS', organ: 'Skin', participants: 48, biospecimens: 177 },
  { id: 'hta9', name: 'HTAN OHSU', organ: 'Breast', participants: 12, biospecimens: 64 },
  { id: 'hta11', name: 'HTAN Vanderbilt', organ: 'Colon', participants: 93, biospecimens: 388 },
];

mkdirSync(compiledDir, { recursive: true });
const table = tableFromArrays({
  id: atlases.map((a) => a.id),
  organ: atlases.map((a) => a.organ),
  participants: Int32Array.from(atlases.map((a) => a.participants)),
  biospecimens: Int32Array.from(atlases.map((a) => a.biospecimens)),
});
writeFileSync(path.join(compiledDir, 'atlases.feather'), tableToIPC(table, 'file'));
console.log(`progress 1/${atlases.length + 2}`);

const escape = (s: string): string => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
const page = (title: string, body: string, root: string): string =>
  `<!doctype html>\n<html lang="en"><head><meta charset="utf-8"><title>${escape(title)} · HTAN dashboard</title>` +
  `<link rel="stylesheet" href="${root}style.css"></head>\n<body><h1>${escape(title)}</h1>\n${body}\n<footer>Data release ${escape(release)}</footer></body></html>\n`;

// Written beside the live tree and swapped in at the end: a failed run leaves the last good pages.
const out = path.join(siteDir, 'dashboard');
const next = `${out}.next`;
rmSync(next, { recursive: true, force: true });
mkdirSync(path.join(next, 'atlases'), { recursive: true });
writeFileSync(path.join(next, 'style.css'), 'body{font-family:sans-serif;margin:2em}table{border-collapse:collapse}td,th{padding:.3em .8em;border:1px solid #ccc}\n');
const rows = atlases.map((a) => `<tr><td><a href="atlases/${a.id}.html">${escape(a.name)}</a></td><td>${a.organ}</td><td>${a.participants}</td><td>${a.biospecimens}</td></tr>`).join('\n');
writeFileSync(path.join(next, 'index.html'), page('HTAN atlases', `<table><tr><th>Atlas</th><th>Organ</th><th>Participants</th><th>Biospecimens</th></tr>\n${rows}\n</table>`, ''));
for (const [i, a] of atlases.entries()) {
  writeFileSync(path.join(next, 'atlases', `${a.id}.html`), page(a.name, `<p>${a.organ}: ${a.participants} participants, ${a.biospecimens} biospecimens.</p><p><a href="../index.html">All atlases</a></p>`, '../'));
  console.log(`progress ${i + 2}/${atlases.length + 2}`);
}
writeFileSync(path.join(next, 'atlases', 'index.html'), page('Atlases', `<ul>${atlases.map((a) => `<li><a href="${a.id}.html">${escape(a.name)}</a></li>`).join('')}</ul>`, '../'));
writeFileSync(path.join(next, 'error.html'), page('Page not found', '<p><a href="/dashboard/">Back to the dashboard</a></p>', '/dashboard/'));
rmSync(out, { recursive: true, force: true });
renameSync(next, out);
console.log(`progress ${atlases.length + 2}/${atlases.length + 2}`);
