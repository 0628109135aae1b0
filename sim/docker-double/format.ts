// The slice of Go templates people pass to `docker image inspect --format`:
// {{.Id}}, {{.Config.Env}}, {{json .RepoDigests}}, {{index .RepoDigests 0}}, {{json .}}.
function lookup(value: unknown, path: string): unknown {
  if (path === '.') return value;
  let current = value;
  for (const part of path.split('.').filter(Boolean)) {
    current = current !== null && typeof current === 'object' ? (current as Record<string, unknown>)[part] : undefined;
  }
  return current;
}

function goString(value: unknown): string {
  if (value === undefined || value === null) return '<no value>';
  if (Array.isArray(value)) return `[${value.map(goString).join(' ')}]`;
  if (typeof value === 'object') return `map[${Object.entries(value).map(([k, v]) => `${k}:${goString(v)}`).join(' ')}]`;
  return String(value);
}

export function renderFormat(template: string, item: unknown): string {
  return template.replace(/\{\{\s*(.*?)\s*\}\}/g, (_m, expr: string) => {
    const json = /^json\s+(\S+)$/.exec(expr);
    if (json) return JSON.stringify(lookup(item, json[1] as string) ?? null);
    const index = /^index\s+(\S+)\s+(\d+)$/.exec(expr);
    if (index) {
      const list = lookup(item, index[1] as string);
      const v = Array.isArray(list) ? list[Number(index[2])] : undefined;
      if (v === undefined) throw new Error('template: :1:2: executing "" at <index>: error calling index: index out of range');
      return goString(v);
    }
    if (expr.startsWith('.')) return goString(lookup(item, expr));
    throw new Error(`template parsing error: unsupported expression ${expr}`);
  });
}
