/** A stand-in for an LLM: answers deterministically and reports the tokens it used, as real APIs do. */
export function fakeModelAnswer(prompt: string): { answer: string; usage: { total_tokens: number } } {
  const answer = `You said: ${prompt.slice(0, 200)}`;
  // Roughly four characters per token, like common tokenizers; at least one token each way.
  const promptTokens = Math.max(1, Math.ceil(prompt.length / 4));
  const answerTokens = Math.max(1, Math.ceil(answer.length / 4));
  return { answer, usage: { total_tokens: promptTokens + answerTokens } };
}
