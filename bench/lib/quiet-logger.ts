/** The activity logger of a benchmark child: warnings and errors on stderr, nothing else. */
export const quietLogger = {
  log: () => undefined,
  trace: () => undefined,
  debug: () => undefined,
  info: () => undefined,
  warn: (message: string, meta?: unknown) => console.error(`warn: ${message} ${meta ? JSON.stringify(meta) : ''}`),
  error: (message: string, meta?: unknown) => console.error(`error: ${message} ${meta ? JSON.stringify(meta) : ''}`),
};
