import net, { AddressInfo } from 'node:net';

/**
 * A TCP server that accepts connections and then misbehaves: says nothing at all, or drips a
 * greeting that never ends, one byte at a time, so a socket timeout never fires.
 */
export async function startMisbehavingServer(
  behaviour: 'silent' | 'drip',
): Promise<{ port: number; close(): Promise<void> }> {
  const sockets = new Set<net.Socket>();
  const timers = new Set<NodeJS.Timeout>();
  const server = net.createServer(socket => {
    sockets.add(socket);
    socket.on('error', () => undefined);
    socket.on('close', () => sockets.delete(socket));
    if (behaviour === 'drip') {
      // A greeting line that never ends: data keeps coming, so no idle timeout fires.
      socket.write('220 slow.example ');
      const timer = setInterval(() => {
        if (!socket.destroyed) socket.write('x');
      }, 100);
      timers.add(timer);
      socket.on('close', () => clearInterval(timer));
    }
  });
  await new Promise<void>(resolve => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as AddressInfo).port,
    close: async () => {
      timers.forEach(clearInterval);
      sockets.forEach(s => s.destroy());
      await new Promise(resolve => server.close(resolve));
    },
  };
}
