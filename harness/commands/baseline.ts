// Placeholder until its issue lands: the command exists so that --help lists it.
import type { CommandModule } from 'yargs';
import { FlexbenchError, EXIT } from '../exit-codes.js';

export const command: CommandModule = {
  command: 'baseline',
  describe: '(not built yet)',
  handler: () => {
    throw new FlexbenchError('`flexbench baseline` is not built yet', EXIT.usage);
  },
};
