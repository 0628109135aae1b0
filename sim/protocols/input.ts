import { AwsError } from '../errors.js';

/** How a service words "missing", "wrong type" and "invalid" input errors. */
export interface InputDialect {
  /** Query-protocol params arrive as strings; JSON ones keep their JSON types. */
  stringly: boolean;
  missing(name: string): AwsError;
  wrongType(name: string, expected: string): AwsError;
  invalid(name: string, why: string): AwsError;
}

const lowerFirst = (s: string): string => s.charAt(0).toLowerCase() + s.slice(1);

// Coral-style wording, as JSON services (Transfer, ECR) answer a request with a null member.
export function jsonDialect(validationCode: string): InputDialect {
  return {
    stringly: false,
    missing: (name) => new AwsError(validationCode,
      `1 validation error detected: Value null at '${lowerFirst(name)}' failed to satisfy constraint: Member must not be null`),
    wrongType: (name, expected) => new AwsError('SerializationException', `Expected ${expected} for member '${name}'`),
    invalid: (name, why) => new AwsError(validationCode,
      `1 validation error detected: Value at '${lowerFirst(name)}' failed to satisfy constraint: ${why}`),
  };
}

export const queryDialect: InputDialect = {
  stringly: true,
  missing: (name) => new AwsError('MissingParameter', `The request must contain the parameter ${name}`),
  wrongType: (name, expected) => new AwsError('InvalidParameterValue', `Invalid value for parameter ${name}: expected ${expected}`),
  invalid: (name, why) => new AwsError('InvalidParameterValue', `Invalid value for parameter ${name}: ${why}`),
};

type Json = Record<string, unknown>;

/** Typed access to a request's members that fails the AWS way. */
export class Input {
  constructor(readonly body: Json, readonly dialect: InputDialect) {}

  private value(name: string): unknown {
    return this.body[name];
  }

  str(name: string): string {
    const v = this.optStr(name);
    if (v === undefined) throw this.dialect.missing(name);
    return v;
  }

  optStr(name: string): string | undefined {
    const v = this.value(name);
    if (v === undefined || v === null) return undefined;
    if (typeof v !== 'string') throw this.dialect.wrongType(name, 'a string');
    return v;
  }

  optInt(name: string): number | undefined {
    const v = this.value(name);
    if (v === undefined || v === null) return undefined;
    if (typeof v === 'number' && Number.isInteger(v)) return v;
    if (this.dialect.stringly && typeof v === 'string' && /^-?\d+$/.test(v)) return Number(v);
    throw this.dialect.wrongType(name, 'an integer');
  }

  int(name: string): number {
    const v = this.optInt(name);
    if (v === undefined) throw this.dialect.missing(name);
    return v;
  }

  optBool(name: string): boolean | undefined {
    const v = this.value(name);
    if (v === undefined || v === null) return undefined;
    if (typeof v === 'boolean') return v;
    if (this.dialect.stringly && (v === 'true' || v === 'false')) return v === 'true';
    throw this.dialect.wrongType(name, 'a boolean');
  }

  optList(name: string): unknown[] | undefined {
    const v = this.value(name);
    if (v === undefined || v === null || v === '') return undefined;
    if (!Array.isArray(v)) throw this.dialect.wrongType(name, 'a list');
    return v;
  }

  optStrList(name: string): string[] | undefined {
    const list = this.optList(name);
    if (list === undefined) return undefined;
    if (!list.every((x) => typeof x === 'string')) throw this.dialect.wrongType(name, 'a list of strings');
    return list as string[];
  }

  optObj(name: string): Input | undefined {
    const v = this.value(name);
    if (v === undefined || v === null) return undefined;
    if (typeof v !== 'object' || Array.isArray(v)) throw this.dialect.wrongType(name, 'a structure');
    return new Input(v as Json, this.dialect);
  }

  obj(name: string): Input {
    const v = this.optObj(name);
    if (v === undefined) throw this.dialect.missing(name);
    return v;
  }

  /** A list of structures, each wrapped for typed access. */
  optObjList(name: string): Input[] | undefined {
    const list = this.optList(name);
    if (list === undefined) return undefined;
    return list.map((x) => {
      if (typeof x !== 'object' || x === null || Array.isArray(x)) throw this.dialect.wrongType(name, 'a list of structures');
      return new Input(x as Json, this.dialect);
    });
  }

  tags(name = 'Tags'): { Key: string; Value: string }[] | undefined {
    return this.optObjList(name)?.map((t) => ({ Key: t.str('Key'), Value: t.optStr('Value') ?? '' }));
  }
}
