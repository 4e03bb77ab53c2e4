// Durability against the real binary: a ticket the queue machine has shown (the API answered 201) survives
// `kill -9` of the terminal, and numbering continues from it after the restart.

import { test, after } from 'node:test'
import assert from 'node:assert/strict'
import { createServer } from 'node:net'
import { Hall, CLERK, api, login } from './hall.mjs'

const hall = new Hall()
after(() => hall.stop())

const freePort = () => new Promise((resolve) => {
  const srv = createServer().listen(0, '127.0.0.1', () => { const { port } = srv.address(); srv.close(() => resolve(port)) })
})

test('a ticket that was shown survives kill -9 of the queue machine', async () => {
  await hall.start(['queue-ticket'])
  // The hall started one terminal; stop it the hard way and run our own on the same data folder.
  const first = hall.children.at(-1)
  first.expectedExit = true
  first.kill('SIGKILL')
  await new Promise((resolve) => first.once('exit', resolve))

  const port = await freePort()
  let { child, url } = await hall.startTerminal('queue-ticket', port)
  const issued = []
  for (const category of ['A', 'A', 'B']) {
    const res = await fetch(`${url}/api/tickets`, {
      method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ category }),
    })
    assert.equal(res.status, 201)
    issued.push(await res.json())
  }
  // No shutdown, no flush: the process is gone the instant the last answer was read.
  child.expectedExit = true
  child.kill('SIGKILL')
  await new Promise((resolve) => child.once('exit', resolve))

  ;({ child, url } = await hall.startTerminal('queue-ticket', port))
  // The list is a staff route; sessions live in memory, so log in on the restarted terminal.
  const token = await login(url, CLERK.id, CLERK.password)
  const after = await api(url, '/api/tickets', { token })
  assert.deepEqual(after.map((t) => [t.id, t.number]), issued.map((t) => [t.id, t.number]))
  const next = await (await fetch(`${url}/api/tickets`, {
    method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ category: 'A' }),
  })).json()
  assert.equal(next.number, 'A003')
})
