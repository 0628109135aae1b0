// Times are epoch milliseconds in state; AWS wire formats differ per protocol.
export const now = (): number => Date.now();
export const epochSeconds = (ms: number): number => Math.round(ms) / 1000;
export const iso = (ms: number): string => new Date(ms).toISOString();
