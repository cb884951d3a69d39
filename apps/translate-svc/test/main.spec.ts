import { describeServiceLifecycle } from '@voc/worker/testing';

describeServiceLifecycle('translate-svc');
