export {
  apiError,
  completion,
  FakeOpenAi,
  type FakeReply,
  hang,
  type RecordedRequest,
  type Script,
} from './server.ts';
