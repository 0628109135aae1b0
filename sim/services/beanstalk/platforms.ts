import { AwsError } from '../../errors.js';
import { paginate } from '../../pagination.js';
import { invalidToken } from './lookup.js';
import { PLATFORMS, platformArn, platformByArn, type SimPlatform } from './platforms-catalogue.js';
import type { Input } from '../../protocols/input.js';
import type { QueryHandler } from '../../protocols/types.js';
import type { SimContext } from '../../context.js';

// Platform and solution-stack listings, what `eb init -p docker` and `eb create` resolve names with.

const PLATFORM_CREATED = Date.parse('2024-06-01T00:00:00Z');

function summary(ctx: SimContext, p: SimPlatform): Record<string, unknown> {
  return {
    PlatformArn: platformArn(ctx.region, p),
    PlatformOwner: 'AWSElasticBeanstalk',
    PlatformStatus: 'Ready',
    PlatformCategory: p.category,
    OperatingSystemName: 'Amazon Linux',
    OperatingSystemVersion: '2023',
    SupportedTierList: ['WebServer/Standard', 'Worker/SQS/HTTP'],
    SupportedAddonList: ['Log/S3', 'Monitoring/Healthd', 'WorkerDaemon/SQSD'],
    PlatformLifecycleState: 'Recommended',
    PlatformVersion: p.version,
    PlatformBranchName: p.branch,
    PlatformBranchLifecycleState: 'Supported',
  };
}

/** `Filters.member.N` of ListPlatformVersions/ListPlatformBranches: Type, Operator, Values. */
function matchesFilters(input: Input, fields: Record<string, string>): boolean {
  return (input.optObjList('Filters') ?? []).every((f) => {
    const type = f.optStr('Type') ?? f.optStr('Attribute') ?? '';
    const op = f.optStr('Operator') ?? '=';
    const values = f.optStrList('Values') ?? [];
    const actual = fields[type];
    if (actual === undefined) return true;
    switch (op) {
      case '=': return values.includes(actual);
      case '!=': return !values.includes(actual);
      case 'in': return values.includes(actual);
      case 'not_in': return !values.includes(actual);
      case 'begins_with': return values.some((v) => actual.startsWith(v));
      case 'contains': return values.some((v) => actual.includes(v));
      case 'not_contains': return values.every((v) => !actual.includes(v));
      default: throw new AwsError('InvalidParameterValue', `Invalid filter operator ${op}.`);
    }
  });
}

const platformFields = (ctx: SimContext, p: SimPlatform): Record<string, string> => ({
  PlatformName: p.name, PlatformVersion: p.version, PlatformStatus: 'Ready', PlatformBranchName: p.branch,
  PlatformLifecycleState: 'Recommended', PlatformOwner: 'AWSElasticBeanstalk', SupportedTier: 'WebServer/Standard',
  SupportedAddon: 'Log/S3', ProgrammingLanguageName: p.language, OperatingSystemName: 'Amazon Linux',
  PlatformArn: platformArn(ctx.region, p),
});

const branchFields = (p: SimPlatform): Record<string, string> => ({
  BranchName: p.branch, LifecycleState: 'Supported', PlatformName: p.language, TierType: 'WebServer/Standard',
});

export const platformHandlers: Record<string, QueryHandler> = {
  ListAvailableSolutionStacks() {
    return {
      SolutionStacks: PLATFORMS.map((p) => p.solutionStack),
      SolutionStackDetails: PLATFORMS.map((p) => ({ SolutionStackName: p.solutionStack, PermittedFileTypes: p.category === 'Docker' ? ['zip', 'json'] : ['zip'] })),
    };
  },

  ListPlatformVersions(input, ctx) {
    const matching = PLATFORMS.filter((p) => matchesFilters(input, platformFields(ctx, p)));
    const { page, next } = paginate(matching, input.optInt('MaxRecords') ?? 100, input.optStr('NextToken'), invalidToken);
    return { PlatformSummaryList: page.map((p) => summary(ctx, p)), NextToken: next };
  },

  ListPlatformBranches(input) {
    const matching = PLATFORMS.filter((p) => matchesFilters(input, branchFields(p)));
    const { page, next } = paginate(matching, input.optInt('MaxRecords') ?? 100, input.optStr('NextToken'), invalidToken);
    return {
      PlatformBranchSummaryList: page.map((p) => ({
        PlatformName: p.language, BranchName: p.branch, LifecycleState: 'Supported', BranchOrder: 1, SupportedTierList: ['WebServer/Standard', 'Worker/SQS/HTTP'],
      })),
      NextToken: next,
    };
  },

  DescribePlatformVersion(input, ctx) {
    const arn = input.optStr('PlatformArn');
    const p = arn === undefined ? undefined : platformByArn(ctx.region, arn);
    if (!p) throw new AwsError('InvalidParameterValue', `No Platform named '${arn ?? ''}' found.`);
    return {
      PlatformDescription: {
        ...summary(ctx, p),
        PlatformName: p.name,
        SolutionStackName: p.solutionStack,
        DateCreated: new Date(PLATFORM_CREATED),
        DateUpdated: new Date(PLATFORM_CREATED),
        Description: `${p.branch} v${p.version}`,
        Maintainer: 'aws-elasticbeanstalk',
        ProgrammingLanguages: [{ Name: p.language, Version: p.languageVersion }],
        Frameworks: [],
        CustomAmiList: [],
      },
    };
  },
};
