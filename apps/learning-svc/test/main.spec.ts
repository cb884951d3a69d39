import { describeServiceLifecycle } from '@voc/worker/testing';

describeServiceLifecycle('learning-svc');
