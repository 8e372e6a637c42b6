import type { SynthesizedApp } from '../../assembly/synthesized-app';

export interface DirectoryUser {
  readonly email: string;
  readonly groups: readonly string[];
}

/** Holds every group: the demo loop's and `--auto-approve`'s person, and the console's first suggestion. */
const EVERY_GROUP_USER = 'you@localhost';
/** Signed in, in no group: may read, nothing more. */
const NO_GROUP_USER = 'viewer@localhost';

/**
 * The people the twin's hosted sign-in knows, derived from the groups the app's user pools define
 * (AWS::Cognito::UserPoolGroup): `you@localhost` in every group, `viewer@localhost` in none, and for each group G a
 * user `G@localhost` in that group only (with the default access policy: approvers@localhost, operators@localhost,
 * developers@localhost). There are no passwords: the twin is the identity provider on a loopback port.
 */
export class UserDirectory {
  readonly groups: readonly string[];
  readonly users: readonly DirectoryUser[];

  constructor(app: SynthesizedApp) {
    this.groups = [...new Set(app.resourcesOfType('AWS::Cognito::UserPoolGroup').map(({ stack, logicalId }) => String(stack.properties(logicalId).GroupName)))];
    this.users = [
      { email: EVERY_GROUP_USER, groups: this.groups },
      { email: NO_GROUP_USER, groups: [] },
      ...this.groups.map((group) => ({ email: `${group}@localhost`, groups: [group] })),
    ];
  }

  find(email: string): DirectoryUser | undefined {
    const wanted = email.trim().toLowerCase();
    return this.users.find((user) => user.email === wanted);
  }
}
