/** Imported first by a test file that runs an e2e suite in n8n's queue mode (see n8nInstance.ts, N8nMode). */
import { useN8nMode } from './n8nInstance';

useN8nMode('queue');
