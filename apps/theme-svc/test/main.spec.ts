import { describeServiceLifecycle } from '@voc/worker/testing';

describeServiceLifecycle('theme-svc');
