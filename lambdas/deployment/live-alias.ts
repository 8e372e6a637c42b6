import {
  CreateAliasCommand,
  DeleteAliasCommand,
  DeleteProvisionedConcurrencyConfigCommand,
  GetAliasCommand,
  type LambdaClient,
  PutProvisionedConcurrencyConfigCommand,
  UpdateAliasCommand,
} from '@aws-sdk/client-lambda';
import { z } from 'zod';

/**
 * The `live` alias as a custom resource. CloudFormation owns that the alias exists (created with the stack, deleted
 * with it) and its provisioned concurrency; the deployment flow alone owns which version it serves. An update of the
 * stack therefore never sends FunctionVersion or RoutingConfig: with an `AWS::Lambda::Alias`, any change to the
 * resource (provisioned concurrency, a description) would point the alias back at the version in the template — the
 * one created with the stack, serving no model — and every request would fail until the next deployment.
 */
export const liveAliasPropertiesSchema = z.object({
  FunctionName: z.string().min(1),
  AliasName: z.string().min(1),
  /** The version the alias starts on when it is created (only then). */
  InitialVersion: z.string().min(1),
  Description: z.string().default(''),
  /** Provisioned concurrency on the alias; '0' keeps it on demand. (CloudFormation passes properties as strings.) */
  ProvisionedConcurrency: z.coerce.number().int().min(0).default(0),
});
export type LiveAliasProperties = z.infer<typeof liveAliasPropertiesSchema>;

export interface LiveAliasResult {
  physicalResourceId: string;
  data: { AliasArn: string; FunctionVersion: string };
}

export class LiveAlias {
  constructor(private readonly client: LambdaClient) {}

  /** Creates the alias on the initial version, or adopts an alias of that name as it is (a retried create). */
  async create(props: LiveAliasProperties): Promise<LiveAliasResult> {
    const { FunctionName, AliasName: Name } = props;
    try {
      await this.client.send(new CreateAliasCommand({ FunctionName, Name, FunctionVersion: props.InitialVersion, Description: props.Description }));
    } catch (err) {
      if ((err as Error).name !== 'ResourceConflictException') throw err;
    }
    await this.setProvisionedConcurrency(props);
    return this.describe(props);
  }

  /**
   * A stack update. Another function or alias name is a new alias (CloudFormation then deletes the old physical id);
   * otherwise only the description and provisioned concurrency change: the version it serves is left as it is.
   */
  async update(props: LiveAliasProperties, old: LiveAliasProperties): Promise<LiveAliasResult> {
    if (props.FunctionName !== old.FunctionName || props.AliasName !== old.AliasName) return this.create(props);
    if (props.Description !== old.Description) {
      await this.client.send(new UpdateAliasCommand({ FunctionName: props.FunctionName, Name: props.AliasName, Description: props.Description }));
    }
    if (props.ProvisionedConcurrency !== old.ProvisionedConcurrency) await this.setProvisionedConcurrency(props);
    return this.describe(props);
  }

  /** Deletes the alias (its provisioned concurrency goes with it); an alias already gone is fine. */
  async delete(props: LiveAliasProperties): Promise<void> {
    try {
      await this.client.send(new DeleteAliasCommand({ FunctionName: props.FunctionName, Name: props.AliasName }));
    } catch (err) {
      if ((err as Error).name !== 'ResourceNotFoundException') throw err;
    }
  }

  private async setProvisionedConcurrency(props: LiveAliasProperties): Promise<void> {
    const target = { FunctionName: props.FunctionName, Qualifier: props.AliasName };
    if (props.ProvisionedConcurrency > 0) {
      await this.client.send(new PutProvisionedConcurrencyConfigCommand({ ...target, ProvisionedConcurrentExecutions: props.ProvisionedConcurrency }));
      return;
    }
    try {
      await this.client.send(new DeleteProvisionedConcurrencyConfigCommand(target));
    } catch (err) {
      if ((err as Error).name !== 'ResourceNotFoundException' && (err as Error).name !== 'ProvisionedConcurrencyConfigNotFoundException') throw err;
    }
  }

  private async describe(props: LiveAliasProperties): Promise<LiveAliasResult> {
    const alias = await this.client.send(new GetAliasCommand({ FunctionName: props.FunctionName, Name: props.AliasName }));
    if (!alias.AliasArn || !alias.FunctionVersion) throw new Error(`alias ${props.AliasName} of ${props.FunctionName} has no ARN or version`);
    return { physicalResourceId: alias.AliasArn, data: { AliasArn: alias.AliasArn, FunctionVersion: alias.FunctionVersion } };
  }
}
