export {
  apiError,
  completion,
  FakeOpenAi,
  type FakeReply,
  type RecordedRequest,
  type Script,
} from './server.ts';
