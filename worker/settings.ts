/** Connection settings shared by the worker and the client, from the environment (DESIGN.md). */
export interface TemporalSettings {
  address: string;
  namespace: string;
  taskQueue: string;
}

export function temporalSettings(env: NodeJS.ProcessEnv = process.env): TemporalSettings {
  return {
    address: env.TEMPORAL_ADDRESS || 'localhost:7233',
    namespace: env.TEMPORAL_NAMESPACE || 'default',
    taskQueue: env.TEMPORAL_TASK_QUEUE || 'release-runbook',
  };
}

/** The Web UI of a local dev server listens 1000 ports above its frontend. */
export function temporalUiUrl(settings: TemporalSettings, env: NodeJS.ProcessEnv = process.env): string {
  if (env.TEMPORAL_UI_URL) return env.TEMPORAL_UI_URL.replace(/\/$/, '');
  const [host = 'localhost', port = '7233'] = settings.address.split(':');
  return `http://${host}:${Number(port) + 1000}`;
}

export function workflowUiLink(settings: TemporalSettings, workflowId: string, env: NodeJS.ProcessEnv = process.env): string {
  return `${temporalUiUrl(settings, env)}/namespaces/${encodeURIComponent(settings.namespace)}/workflows/${encodeURIComponent(workflowId)}`;
}
