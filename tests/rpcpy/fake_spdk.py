"""A tiny fake SPDK JSON-RPC server for testing scripts/rpc.py.

Listens on a temporary Unix socket (or TCP on 127.0.0.1), parses the byte
stream as concatenated JSON values (like SPDK's streaming parser) and answers
each request compactly followed by "\\n".  Everything received is recorded so
tests can check the exact bytes the client sent.
"""

import json
import os
import shutil
import socket
import tempfile
import threading
import time

STARTUP = 1
RUNTIME = 2
BOTH = STARTUP | RUNTIME

# sentinels a handler may return
NO_REPLY = object()      # keep the connection open, never answer
CLOSE = object()         # close the connection without answering


class Reply:
    """Handler result wrapper for a raw (possibly partial / chunked) reply."""

    def __init__(self, chunks, delay=0.0, close=False):
        self.chunks = chunks
        self.delay = delay
        self.close = close


class RpcFailure(Exception):
    def __init__(self, code, message):
        super().__init__(message)
        self.error = {'code': code, 'message': message}


class FakeSpdk:
    def __init__(self, tcp=False, path=None, start=True):
        self.tmpdir = tempfile.mkdtemp(prefix='rpcpy-')
        self.tcp = tcp
        self.path = path or os.path.join(self.tmpdir, 'spdk.sock')
        self.port = None
        self.handlers = {}
        self.methods = {}            # name -> state mask, for rpc_get_methods
        self.aliases = set()
        self.state = RUNTIME
        self.raw = []                # bytes received, one entry per connection
        self.requests = []           # decoded request objects, in arrival order
        self.connections = 0
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._threads = []
        self._conns = []
        self._listener = None
        if start:
            self.start()

    # -- configuration ----------------------------------------------------
    def on(self, method, result=None, handler=None, mask=BOTH, error=None):
        """Register a method; answer with result, an error object, or handler(params)."""
        if handler is None:
            if error is not None:
                def handler(_params, _e=error):
                    raise RpcFailure(_e[0], _e[1])
            else:
                def handler(_params, _r=result):
                    return _r
        self.handlers[method] = handler
        self.methods[method] = mask
        return self

    def enable_rpc_get_methods(self):
        def rpc_get_methods(params):
            params = params or {}
            names = []
            for name, mask in self.methods.items():
                if name in self.aliases and not params.get('include_aliases'):
                    continue
                if params.get('current') and (mask & self.state) != self.state:
                    continue
                names.append(name)
            return names

        def framework_start_init(_params):
            if self.state != STARTUP:
                raise RpcFailure(-1, 'Method may only be called before framework is initialized.')
            self.state = RUNTIME
            return True

        self.on('rpc_get_methods', handler=rpc_get_methods, mask=BOTH)
        self.on('framework_start_init', handler=framework_start_init, mask=STARTUP)
        return self

    @property
    def methods_called(self):
        return [r.get('method') for r in self.flat_requests()]

    def flat_requests(self):
        out = []
        with self._lock:
            for r in self.requests:
                out.extend(r if isinstance(r, list) else [r])
        return out

    # -- lifecycle ----------------------------------------------------------
    def start(self):
        if self.tcp:
            s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            s.bind(('127.0.0.1', 0))
            self.port = s.getsockname()[1]
        else:
            s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            s.bind(self.path)
        s.listen(16)
        s.settimeout(0.05)
        self._listener = s
        t = threading.Thread(target=self._accept_loop, daemon=True)
        t.start()
        self._threads.append(t)

    def stop(self):
        self._stop.set()
        for t in list(self._threads):
            t.join(timeout=2)
        for c in self._conns:
            try:
                c.close()
            except OSError:
                pass
        if self._listener is not None:
            self._listener.close()
            self._listener = None
        shutil.rmtree(self.tmpdir, ignore_errors=True)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.stop()

    # -- serving ------------------------------------------------------------
    def _accept_loop(self):
        while not self._stop.is_set():
            try:
                conn, _ = self._listener.accept()
            except socket.timeout:
                continue
            except OSError:
                return
            with self._lock:
                self.connections += 1
                index = len(self.raw)
                self.raw.append(b'')
            self._conns.append(conn)
            t = threading.Thread(target=self._serve, args=(conn, index), daemon=True)
            t.start()
            self._threads.append(t)

    def _serve(self, conn, index):
        conn.settimeout(0.05)
        data = b''
        decoder = json.JSONDecoder()
        try:
            while not self._stop.is_set():
                try:
                    chunk = conn.recv(65536)
                except socket.timeout:
                    continue
                if not chunk:
                    return
                with self._lock:
                    self.raw[index] += chunk
                data += chunk
                while True:
                    text = data.decode('utf-8').lstrip()
                    if not text:
                        data = b''
                        break
                    try:
                        obj, end = decoder.raw_decode(text)
                    except ValueError:
                        break
                    data = text[end:].encode('utf-8')
                    with self._lock:
                        self.requests.append(obj)
                    if not self._answer(conn, obj):
                        return
        finally:
            try:
                conn.close()
            except OSError:
                pass

    def _dispatch(self, req):
        rid = req.get('id')
        method = req.get('method')
        handler = self.handlers.get(method)
        if handler is None:
            return {'jsonrpc': '2.0', 'id': rid, 'error': {'code': -32601, 'message': 'Method not found'}}
        mask = self.methods.get(method, BOTH)
        if (mask & self.state) != self.state:
            return {'jsonrpc': '2.0', 'id': rid,
                    'error': {'code': -1, 'message': 'Method may only be called after framework is '
                                                     'initialized using framework_start_init RPC.'}}
        try:
            result = handler(req.get('params'))
        except RpcFailure as ex:
            return {'jsonrpc': '2.0', 'id': rid, 'error': ex.error}
        if result is NO_REPLY or result is CLOSE or isinstance(result, Reply):
            return result
        return {'jsonrpc': '2.0', 'id': rid, 'result': result}

    def _answer(self, conn, obj):
        if isinstance(obj, list):
            resp = [self._dispatch(r) for r in obj]
        else:
            resp = self._dispatch(obj)
        if resp is NO_REPLY:
            return True
        if resp is CLOSE:
            return False
        if isinstance(resp, Reply):
            for c in resp.chunks:
                conn.sendall(c)
                if resp.delay:
                    time.sleep(resp.delay)
            return not resp.close
        conn.sendall(json.dumps(resp, separators=(',', ':')).encode('utf-8') + b'\n')
        return True
