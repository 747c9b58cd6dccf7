// Evaluates the Condition block of an IAM policy statement the way IAM does, for the operators our
// policies use (IAM User Guide, "IAM JSON policy elements: Condition operators" and "Creating a
// condition with multiple keys or values"):
// - all operators in a block, and all keys under an operator, must match (AND);
// - a key with a list of values matches when the request value equals any of them (OR);
// - condition key names are case-insensitive, values are case-sensitive;
// - StringEquals compares exactly; StringLike treats * as any run of characters and ? as one
//   character, with no other special characters;
// - a key missing from the request fails the condition (no ...IfExists operators are supported).
// An operator this file does not know makes evaluation throw, so a policy that starts using one
// fails its test instead of being misjudged.

export type ConditionBlock = Record<string, Record<string, string | string[]>>;

function likeToRegExp(pattern: string): RegExp {
  let source = "";
  for (const ch of pattern) {
    if (ch === "*") source += "[\\s\\S]*";
    else if (ch === "?") source += "[\\s\\S]";
    else source += ch.replace(/[.*+?^${}()|[\]\\/]/g, "\\$&");
  }
  return new RegExp(`^${source}$`);
}

const operators: Record<string, (actual: string, expected: string) => boolean> = {
  StringEquals: (actual, expected) => actual === expected,
  StringLike: (actual, expected) => likeToRegExp(expected).test(actual),
};

/** Whether a request with these context values satisfies the condition block. */
export function conditionsMatch(block: ConditionBlock, context: Record<string, string>): boolean {
  const lowerContext = new Map(Object.entries(context).map(([k, v]) => [k.toLowerCase(), v]));
  for (const [operator, keys] of Object.entries(block)) {
    const test = operators[operator];
    if (test === undefined) throw new Error(`condition operator ${operator} is not supported here`);
    for (const [key, expected] of Object.entries(keys)) {
      const actual = lowerContext.get(key.toLowerCase());
      if (actual === undefined) return false;
      const values = Array.isArray(expected) ? expected : [expected];
      if (!values.some((v) => test(actual, v))) return false;
    }
  }
  return true;
}

export interface TrustStatement {
  Effect: string;
  Principal: { Federated?: string | string[] };
  Action: string | string[];
  Condition?: ConditionBlock;
}

export interface PolicyDocument {
  Version: string;
  Statement: TrustStatement[];
}

/**
 * Whether AssumeRoleWithWebIdentity through this OIDC provider with these token claims is allowed
 * by the trust policy: an Allow statement for the provider and action whose conditions hold, and
 * no Deny statement that applies.
 */
export function allowsWebIdentity(
  policy: PolicyDocument,
  providerArn: string,
  claims: Record<string, string>,
): boolean {
  const applies = (s: TrustStatement) => {
    const federated = [s.Principal.Federated ?? []].flat();
    const actions = [s.Action].flat();
    return (
      federated.includes(providerArn) &&
      actions.some((a) => a === "sts:AssumeRoleWithWebIdentity" || a === "sts:*" || a === "*") &&
      conditionsMatch(s.Condition ?? {}, claims)
    );
  };
  if (policy.Statement.some((s) => s.Effect === "Deny" && applies(s))) return false;
  return policy.Statement.some((s) => s.Effect === "Allow" && applies(s));
}
