import { describeServiceLifecycle } from '@voc/worker/testing';

describeServiceLifecycle('ingest-svc');
