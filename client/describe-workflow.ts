import { WorkflowNotFoundError, type WorkflowExecutionDescription, type WorkflowHandle } from '@temporalio/client';
import { InputError } from '../config/errors.js';

/** describe(), with an unknown id turned into the one sentence a person needs. */
export async function describeWorkflow(handle: WorkflowHandle, namespace: string): Promise<WorkflowExecutionDescription> {
  try {
    return await handle.describe();
  } catch (err) {
    if (err instanceof WorkflowNotFoundError) {
      throw new InputError('InvalidArgument', 'workflowId', `no workflow "${handle.workflowId}" in namespace "${namespace}": check the id (npm run start-workflow prints it).`);
    }
    throw err;
  }
}
