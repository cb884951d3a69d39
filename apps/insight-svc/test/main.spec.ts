import { describeServiceLifecycle } from '@voc/worker/testing';

describeServiceLifecycle('insight-svc');
