// The platforms the sim offers, in the words Beanstalk's listings use. Two branches cover the
// family of sites: Docker (ContactTracing, HTAN) and Python (cellxgene, TrendFinder).

export interface SimPlatform {
  branch: string;
  /** The platform's name in its ARN (`platform/<name>/<version>`). */
  name: string;
  version: string;
  solutionStack: string;
  language: string;
  languageVersion: string;
  category: string;
}

export const PLATFORMS: SimPlatform[] = [
  {
    branch: 'Docker running on 64bit Amazon Linux 2023', name: 'Docker running on 64bit Amazon Linux 2023', version: '4.3.0',
    solutionStack: '64bit Amazon Linux 2023 v4.3.0 running Docker', language: 'Docker', languageVersion: '25.0.5', category: 'Docker',
  },
  {
    branch: 'Python 3.11 running on 64bit Amazon Linux 2023', name: 'Python 3.11 running on 64bit Amazon Linux 2023', version: '4.1.0',
    solutionStack: '64bit Amazon Linux 2023 v4.1.0 running Python 3.11', language: 'Python', languageVersion: '3.11', category: 'Python',
  },
];

// Platform ARNs name no account: platforms belong to AWS, per region.
export const platformArn = (region: string, p: SimPlatform): string => `arn:aws:elasticbeanstalk:${region}::platform/${p.name}/${p.version}`;

export function platformByArn(region: string, arn: string): SimPlatform | undefined {
  return PLATFORMS.find((p) => platformArn(region, p) === arn);
}

export function platformByStack(stack: string): SimPlatform | undefined {
  return PLATFORMS.find((p) => p.solutionStack === stack);
}
