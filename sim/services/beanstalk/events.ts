import { paginate } from '../../pagination.js';
import { regional } from '../../regions.js';
import { invalid, invalidToken, maxRecords } from './lookup.js';
import type { QueryHandler } from '../../protocols/types.js';
import type { EbEvent } from '../../state.js';

const SEVERITIES: EbEvent['severity'][] = ['TRACE', 'DEBUG', 'INFO', 'WARN', 'ERROR', 'FATAL'];

export const eventHandlers: Record<string, QueryHandler> = {
  DescribeEvents(input, ctx) {
    const appName = input.optStr('ApplicationName');
    const envName = input.optStr('EnvironmentName');
    const envId = input.optStr('EnvironmentId');
    const label = input.optStr('VersionLabel');
    const requestId = input.optStr('RequestId');
    const severity = input.optStr('Severity');
    if (severity !== undefined && !SEVERITIES.includes(severity as EbEvent['severity'])) throw invalid(`Invalid Severity: ${severity}`);
    const minLevel = severity === undefined ? 0 : SEVERITIES.indexOf(severity as EbEvent['severity']);
    const parseTime = (name: string): number | undefined => {
      const raw = input.optStr(name);
      if (raw === undefined) return undefined;
      const t = Date.parse(raw);
      if (Number.isNaN(t)) throw invalid(`Invalid ${name}: ${raw}`);
      return t;
    };
    const start = parseTime('StartTime');
    const end = parseTime('EndTime');
    const eb = regional(ctx).eb;
    const envNameForId = envId === undefined ? undefined : eb.environments[envId]?.environmentName ?? `\u0000${envId}`;
    const events = eb.events
      .filter((e) => (appName === undefined || e.applicationName === appName)
        && (envName === undefined || e.environmentName === envName)
        && (envNameForId === undefined || e.environmentName === envNameForId)
        && (label === undefined || e.versionLabel === label)
        && (requestId === undefined || e.requestId === requestId)
        && SEVERITIES.indexOf(e.severity) >= minLevel
        && (start === undefined || e.eventDate >= start) && (end === undefined || e.eventDate < end))
      .sort((a, b) => b.eventDate - a.eventDate || b.seq - a.seq);
    const { page, next } = paginate(events, maxRecords(input, 100), input.optStr('NextToken'), invalidToken);
    return {
      Events: page.map((e) => ({
        EventDate: new Date(e.eventDate), Message: e.message, ApplicationName: e.applicationName,
        VersionLabel: e.versionLabel, EnvironmentName: e.environmentName, RequestId: e.requestId, Severity: e.severity,
      })),
      NextToken: next,
    };
  },
};
