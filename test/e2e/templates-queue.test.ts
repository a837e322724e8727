/**
 * Every workflow template of templates.test.ts again, in n8n's queue mode: PostgreSQL and Redis
 * (scripts/queue-servers.sh, started on demand), one main and two workers (scripts/n8n-server.sh start-bg and
 * worker-bg, as `npm run start:queue` runs them). Manual runs go to the workers too
 * (OFFLOAD_MANUAL_EXECUTIONS_TO_WORKERS), and the last test checks in the workers' logs that every
 * execution ran there.
 */
import './queueModeOn';
import './templates.test';
