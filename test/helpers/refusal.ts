/** What the marketplace said when it refused an SDK call, for tests of who may do what. */

/** The status and the server's own sentence of a call that must fail (one that succeeds gives status 0). */
export async function refusal(call: Promise<unknown>): Promise<{ status: number; message: string | undefined }> {
  const error = (await call.then(
    () => new Error('expected a refusal'),
    (e: unknown) => e,
  )) as { status?: number; serverMessage?: string };
  return { status: error.status ?? 0, message: error.serverMessage };
}
