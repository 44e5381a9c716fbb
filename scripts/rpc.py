#!/usr/bin/env python3
"""JSON-RPC 2.0 command-line client for the storage target.

Command-line syntax, wire format, printing and exit codes follow SPDK's
scripts/rpc.py (v24.x) so existing scripts and tests keep working:

  * requests are json.dumps(req, indent=2), no trailing newline, "params"
    only when non-empty;
  * responses are decoded incrementally from the byte stream (several
    concatenated values are fine);
  * a JSON-RPC error prints "request: ... Got JSON-RPC error response ..."
    to stdout and exits 1; argparse errors exit 2.

Standard library only (Python 3.11).
"""

import argparse
import codecs
import ipaddress
import json
import re
import logging
import os
import shlex
import socket
import sys
import time

DEFAULT_ADDR = '/var/tmp/spdk.sock'
DEFAULT_PORT = 5260
DEFAULT_TIMEOUT = 60.0
DISCOVERY_NQN = 'nqn.2014-08.org.nvmexpress.discovery'

LOG = logging.getLogger('JSONRPCClient')


class RpcError(Exception):
    """Any failure reported to the user as a message plus exit code 1."""

    def __init__(self, message):
        super().__init__(message)
        self.message = message


# ---------------------------------------------------------------------------
# printing

_SILENT = False  # --dry-run silences the result printers


def print_dict(value):
    if not _SILENT:
        print(json.dumps(value, indent=2))


def print_json(value):
    if not _SILENT:
        print(json.dumps(value, indent=2).strip('"'))


def print_array(values):
    if not _SILENT:
        print(' '.join(shlex.quote(str(v)) for v in values))


def clean(params):
    """Drop None values (top level) like SPDK's client does."""
    return {k: v for k, v in params.items() if v is not None}


# ---------------------------------------------------------------------------
# clients

RECV_CHUNK = 1 << 16

_JSON_SIGNIFICANT = re.compile(r'["\\{}\[\]]')


class ReplyFramer:
    """Finds where each top-level JSON value of a reply stream ends, in one pass over the text.

    SPDK's framing is concatenated JSON values with no length prefix. Re-parsing the whole buffer
    after every chunk (as json.raw_decode on each recv would) is quadratic: a 3 MB reply took
    minutes. This scans only the new text for braces, brackets and string quotes/escapes, and
    parses a value once, when its closing brace arrives. A value that is not an object or an array
    (never sent by a target) falls back to raw_decode on the buffer.
    """

    def __init__(self):
        self._chunks = []       # text of the value being received, scanned
        self._pending = ''      # received text not scanned yet (after a completed value)
        self._depth = 0
        self._in_string = False
        self._escaped = False   # a backslash ended the previous chunk inside a string
        self._started = False
        self._scalar = False

    def text(self):
        return ''.join(self._chunks) + self._pending

    def feed(self, text):
        self._pending += text

    def next_value(self):
        """The next complete value, or None until more text arrives."""
        text, self._pending = self._pending, ''
        if not text:
            return None
        start = 0
        if not self._started:
            stripped = text.lstrip()
            if not stripped:
                return None
            start = len(text) - len(stripped)
            self._started = True
            self._scalar = stripped[0] not in '{['
        if self._scalar:
            return self._next_scalar(text)
        skip = -1
        if self._escaped:
            skip, self._escaped = start, False
        depth, in_string = self._depth, self._in_string
        for m in _JSON_SIGNIFICANT.finditer(text, start):
            i = m.start()
            if i == skip:
                continue
            c = text[i]
            if in_string:
                if c == '\\':
                    if i + 1 < len(text):
                        skip = i + 1
                    else:
                        self._escaped = True
                elif c == '"':
                    in_string = False
            elif c == '"':
                in_string = True
            elif c in '{[':
                depth += 1
            else:
                depth -= 1
                if depth == 0:
                    self._chunks.append(text[:i + 1])
                    value_text = ''.join(self._chunks)
                    self._reset(text[i + 1:])
                    return json.loads(value_text)
        self._depth, self._in_string = depth, in_string
        self._chunks.append(text)
        return None

    def _next_scalar(self, text):
        buf = (''.join(self._chunks) + text).lstrip()
        try:
            obj, end = json.JSONDecoder().raw_decode(buf)
        except ValueError:
            self._chunks = [buf]
            return None
        self._reset(buf[end:])
        return obj

    def _reset(self, rest):
        self._chunks = []
        self._pending = rest
        self._depth = 0
        self._in_string = False
        self._escaped = False
        self._started = False
        self._scalar = False


class Client:
    """One connection to the JSON-RPC server."""

    def __init__(self, addr, port=DEFAULT_PORT, timeout=DEFAULT_TIMEOUT, conn_retries=0):
        self.addr = addr
        self.port = port
        self.timeout = timeout
        self.sock = None
        self._next_id = 0
        self._framer = ReplyFramer()
        self._decoder = codecs.getincrementaldecoder('utf-8')('replace')
        try:
            for _ in range(max(conn_retries, 0)):
                try:
                    self._connect()
                    return
                except Exception:
                    self._drop_socket()
                    time.sleep(0.2)
            self._connect()
        except Exception as ex:
            self._drop_socket()
            raise RpcError('Error while connecting to %s\n'
                           'Is SPDK application running?\n'
                           'Error details: %s' % (addr, ex)) from None

    # -- connection -------------------------------------------------------
    def _connect(self):
        addr = self.addr
        try:
            ip = ipaddress.ip_address(addr)
        except ValueError:
            ip = None
        if ip is not None:
            family = socket.AF_INET6 if ip.version == 6 else socket.AF_INET
            self.sock = socket.socket(family, socket.SOCK_STREAM)
            self.sock.connect((addr, self.port))
        elif os.path.exists(addr):
            self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            self.sock.connect(addr)
        else:
            raise OSError("Invalid or non-existing address: '%s'" % addr)
        LOG.debug('Connected to %s', addr)

    def _drop_socket(self):
        if self.sock is not None:
            try:
                self.sock.close()
            except OSError:
                pass
            self.sock = None

    def close(self):
        self._drop_socket()

    # -- framing ----------------------------------------------------------
    def _request(self, method, params):
        self._next_id += 1
        req = {'jsonrpc': '2.0', 'method': method, 'id': self._next_id}
        if params:
            req['params'] = params
        return req

    def _send_text(self, text):
        LOG.info('Send request:\n%s\n', text)
        try:
            self.sock.sendall(text.encode('utf-8'))
        except OSError as ex:
            raise RpcError('Connection error while sending request: %s' % ex) from None

    def _recv(self):
        deadline = time.monotonic() + self.timeout
        response = self._framer.next_value()
        while response is None:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise RpcError('Timeout while waiting for response:\n%s\n' % self._framer.text())
            self.sock.settimeout(remaining)
            try:
                data = self.sock.recv(RECV_CHUNK)
            except socket.timeout:
                raise RpcError('Timeout while waiting for response:\n%s\n' % self._framer.text()) from None
            except OSError as ex:
                self._drop_socket()
                raise RpcError('Connection closed with partial response:\n%s\n(%s)' % (self._framer.text(), ex)) from None
            if not data:
                self._drop_socket()
                raise RpcError('Connection closed with partial response:\n%s\n' % self._framer.text())
            LOG.debug('Received %d bytes', len(data))
            self._framer.feed(self._decoder.decode(data))
            response = self._framer.next_value()
        if LOG.isEnabledFor(logging.INFO):  # formatting a large reply costs more than receiving it
            LOG.info('Receive response:\n%s\n', json.dumps(response, indent=2))
        return response

    @staticmethod
    def _error_text(method, params, req_id, error):
        shown = dict(params) if isinstance(params, dict) else {}
        shown['method'] = method
        shown['req_id'] = req_id
        return '\n'.join(['request:', json.dumps(shown, indent=2),
                          'Got JSON-RPC error response',
                          'response:', json.dumps(error, indent=2)])

    # -- calls ------------------------------------------------------------
    def call(self, method, params=None):
        LOG.info("call('%s')", method)
        params = clean(params) if isinstance(params, dict) else params
        req = self._request(method, params)
        self._send_text(json.dumps(req, indent=2))
        try:
            response = self._recv()
        except RpcError:
            # the target may exit before (or instead of) answering
            if method == 'spdk_kill_instance' and self.sock is None:
                LOG.info('Receive response: connection closed by peer')
                return {}
            raise
        if not isinstance(response, dict):
            raise RpcError('Invalid response:\n%s' % json.dumps(response, indent=2))
        if 'error' in response:
            raise RpcError(self._error_text(method, params, req['id'], response['error']))
        return response.get('result')

    def call_batch(self, calls):
        """Send [(method, params), ...] as one JSON-RPC batch; returns results in order."""
        reqs = [self._request(m, clean(p) if isinstance(p, dict) else p) for m, p in calls]
        self._send_text(json.dumps(reqs, indent=2))
        response = self._recv()
        if isinstance(response, dict):
            response = [response]
        by_id = {r.get('id'): r for r in response if isinstance(r, dict)}
        results = []
        for req in reqs:
            r = by_id.get(req['id'])
            if r is None:
                raise RpcError('Missing response for request id %s' % req['id'])
            if 'error' in r:
                raise RpcError(self._error_text(req['method'], req.get('params'), req['id'], r['error']))
            results.append(r.get('result'))
        return results


class DryRunClient:
    """--dry-run: print the request, send nothing."""

    def call(self, method, params=None):
        params = clean(params) if isinstance(params, dict) else params
        print('Request:\n' + json.dumps({'method': method, 'params': params}, indent=2))
        return None

    def call_batch(self, calls):
        for m, p in calls:
            self.call(m, p)
        return [None] * len(calls)

    def close(self):
        pass


# ---------------------------------------------------------------------------
# save_config / load_config (client-side, like SPDK's python/spdk/rpc/config.py)

def _json_dump(obj, indent):
    if indent is None:
        indent = 2
    elif indent < 0:
        indent = None
    sys.stdout.write(json.dumps(obj, indent=indent))
    sys.stdout.write('\n')


def _json_load(source):
    try:
        if source is None or source == '-' or source is sys.stdin:
            return json.load(sys.stdin)
        with open(source, 'r') as f:
            return json.load(f)
    except OSError as ex:
        raise RpcError('Failed to read JSON config: %s' % ex) from None
    except ValueError as ex:
        raise RpcError('Invalid JSON configuration: %s' % ex) from None


def save_config(client, indent=2, subsystems=None, with_batches=False):
    listing = client.call('framework_get_subsystems')
    if listing is None:   # dry run
        return
    wanted = None
    if subsystems:
        deps = {e['subsystem']: e.get('depends_on') or [] for e in listing}
        wanted = set()
        todo = [s.strip() for s in subsystems.split(',') if s.strip()]
        while todo:
            name = todo.pop()
            if name in wanted:
                continue
            if name not in deps:
                raise RpcError("Subsystem '%s' not found" % name)
            wanted.add(name)
            todo.extend(deps[name])
    config = {'subsystems': []}
    for elem in listing:
        name = elem['subsystem']
        if wanted is not None and name not in wanted:
            continue
        params = {'name': name}
        if with_batches:
            params['with_batches'] = True
        config['subsystems'].append({'subsystem': name,
                                     'config': client.call('framework_get_config', params)})
    _json_dump(config, indent)


def save_subsystem_config(client, name, indent=2):
    cfg = {'subsystem': name, 'config': client.call('framework_get_config', {'name': name})}
    _json_dump(cfg, indent)


def _entry_methods(elem):
    if isinstance(elem, list):
        return [e.get('method') if isinstance(e, dict) else None for e in elem]
    if isinstance(elem, dict):
        return [elem.get('method')]
    return [None]


def _call_entry(client, elem):
    if isinstance(elem, list):
        client.call_batch([(e['method'], e.get('params')) for e in elem])
    else:
        client.call(elem['method'], elem.get('params'))


def load_config(client, source, include_aliases=False):
    data = _json_load(source)
    if not isinstance(data, dict) or not isinstance(data.get('subsystems'), list):
        raise RpcError("Invalid JSON configuration: missing 'subsystems' array")
    subsystems = [s for s in data['subsystems'] if isinstance(s, dict) and s.get('config')]
    all_methods = client.call('rpc_get_methods', {'include_aliases': include_aliases})
    if all_methods is None:   # dry run: nothing more can be decided
        return
    if not subsystems:
        if 'framework_start_init' in all_methods:
            client.call('framework_start_init')
        return
    for sub in subsystems:
        for elem in sub['config']:
            if any(m is None or m not in all_methods for m in _entry_methods(elem)):
                raise RpcError('Unknown method was included in the config file')
    while subsystems:
        allowed = client.call('rpc_get_methods', {'current': True, 'include_aliases': include_aliases})
        progressed = False
        for sub in list(subsystems):
            config = sub['config']
            for elem in list(config):
                if not all(m in allowed for m in _entry_methods(elem)):
                    continue
                _call_entry(client, elem)
                config.remove(elem)
                progressed = True
            if not config:
                subsystems.remove(sub)
        if 'framework_start_init' in allowed:
            client.call('framework_start_init')
            progressed = True
        if not progressed:
            break
    if subsystems:
        print('Some configs were skipped because the RPC state that can call them passed over.')


def load_subsystem_config(client, source):
    data = _json_load(source)
    if not isinstance(data, dict):
        raise RpcError('Invalid JSON configuration: expected a subsystem object')
    config = data.get('config')
    if not config:
        return
    all_methods = client.call('rpc_get_methods')
    if all_methods is None:
        return
    for elem in config:
        if any(m is None or m not in all_methods for m in _entry_methods(elem)):
            raise RpcError('Unknown method was included in the config file')
    allowed = client.call('rpc_get_methods', {'current': True})
    for elem in list(config):
        if not all(m in allowed for m in _entry_methods(elem)):
            continue
        _call_entry(client, elem)
        config.remove(elem)
    if config:
        print('Some configs were skipped because they cannot be called in the current RPC state.')


# ---------------------------------------------------------------------------
# argument parser

def build_parser():
    parser = argparse.ArgumentParser(description='SPDK-compatible RPC command line interface',
                                     usage='%(prog)s [options]')
    parser.add_argument('-s', dest='server_addr', default=DEFAULT_ADDR,
                        help='RPC domain socket path or IP address')
    parser.add_argument('-p', dest='port', default=DEFAULT_PORT, type=int,
                        help='RPC port number (if server_addr is IP address)')
    parser.add_argument('-t', dest='timeout', default=DEFAULT_TIMEOUT, type=float,
                        help='Timeout in seconds (float) waiting for a response. Default: 60.0')
    parser.add_argument('-r', dest='conn_retries', default=0, type=int,
                        help='Retry connecting to the RPC server N times with 0.2s interval. Default: 0')
    parser.add_argument('-v', dest='verbose', action='store_const', const='INFO', default='ERROR',
                        help='Set verbose mode to INFO')
    parser.add_argument('--verbose', dest='verbose', choices=['DEBUG', 'INFO', 'ERROR'],
                        help='Set verbose level.')
    parser.add_argument('--dry-run', dest='dry_run', action='store_true',
                        help='Display request and exit')
    parser.add_argument('--server', dest='is_server', action='store_true',
                        help='Read rpc.py command lines from stdin, one connection per line; '
                             'each output ends with **STATUS=0 or **STATUS=1')
    sub = parser.add_subparsers(help='RPC methods', dest='called_rpc_name', metavar='')

    def cmd(name, help_text, func, aliases=()):
        """Register a sub-command (and alias names that send the alias as the method)."""
        parsers = []
        for n in (name,) + tuple(aliases):
            p = sub.add_parser(n, help=help_text if n == name else 'alias of %s' % name)
            p.set_defaults(func=func, rpc_method=n)
            parsers.append(p)
        return _Multi(parsers)

    def nvme_alias(name):
        return ('nvme_' + name[len('nvmf_'):],)

    # ---------------- framework / app ----------------
    def rpc_get_methods(a):
        params = {}
        if a.current:
            params['current'] = True
        if a.include_aliases:
            params['include_aliases'] = True
        print_dict(a.client.call(a.rpc_method, params))
    p = cmd('rpc_get_methods', 'Get list of supported RPC methods', rpc_get_methods)
    p.add_argument('-c', '--current', action='store_true',
                   help='Get list of RPC methods only callable in the current state.')
    p.add_argument('-i', '--include-aliases', action='store_true', help='include RPC aliases')

    def call_print_dict(a):
        print_dict(a.client.call(a.rpc_method))

    def call_print_json(a):
        print_json(a.client.call(a.rpc_method))

    def call_silent(a):
        a.client.call(a.rpc_method)

    cmd('spdk_get_version', 'Get SPDK version', call_print_json)
    cmd('framework_start_init', 'Start initialization of subsystems', call_silent)
    cmd('framework_wait_init', 'Block until subsystems have been initialized', call_silent)
    cmd('framework_get_subsystems', 'Print subsystems array in initialization order', call_print_dict)
    cmd('framework_get_reactors', 'Display list of all reactors', call_print_dict)
    cmd('bdev_wait_for_examine', 'Report when all bdevs have been examined', call_silent)

    def framework_get_config(a):
        params = {'name': a.name}
        if a.with_batches:
            params['with_batches'] = True
        print_dict(a.client.call(a.rpc_method, params))
    p = cmd('framework_get_config', 'Print subsystem configuration', framework_get_config)
    p.add_argument('name', help='Name of subsystem to query')
    p.add_argument('--with-batches', action='store_true', help=argparse.SUPPRESS)

    def spdk_kill_instance(a):
        a.client.call(a.rpc_method, {'sig_name': a.sig_name})
    p = cmd('spdk_kill_instance', 'Send signal to instance', spdk_kill_instance)
    p.add_argument('sig_name', help='signal will be sent to server.')

    # ---------------- config ----------------
    def save_config_cmd(a):
        save_config(a.client, indent=a.indent, subsystems=a.subsystems, with_batches=a.with_batches)
    p = sub.add_parser('save_config', help='Write current (live) configuration of subsystems to stdout.')
    p.set_defaults(func=save_config_cmd, rpc_method=None)
    p.add_argument('-i', '--indent', type=int, default=2,
                   help='Indent level. Value less than 0 mean compact mode. Default indent level is 2.')
    p.add_argument('-s', '--subsystems', help='Comma-separated subsystems (with dependencies) to save')
    p.add_argument('--with-batches', action='store_true', help='Keep batched config entries as arrays')

    def load_config_cmd(a):
        load_config(a.client, a.json_conf, include_aliases=a.include_aliases)
    p = sub.add_parser('load_config', help='Configure subsystems and targets using JSON RPC.')
    p.set_defaults(func=load_config_cmd, rpc_method=None)
    p.add_argument('-i', '--include-aliases', action='store_true', help='include RPC aliases')
    p.add_argument('-j', '--json-conf', help='Valid JSON configuration (default: stdin)')

    def save_subsystem_config_cmd(a):
        save_subsystem_config(a.client, a.name, indent=a.indent)
    p = sub.add_parser('save_subsystem_config', help='Write current (live) configuration of a subsystem.')
    p.set_defaults(func=save_subsystem_config_cmd, rpc_method=None)
    p.add_argument('-i', '--indent', type=int, default=2,
                   help='Indent level. Value less than 0 mean compact mode. Default indent level is 2.')
    p.add_argument('-n', '--name', required=True, help='Name of subsystem')

    def load_subsystem_config_cmd(a):
        load_subsystem_config(a.client, a.json_conf)
    p = sub.add_parser('load_subsystem_config', help='Configure a subsystem using JSON RPC.')
    p.set_defaults(func=load_subsystem_config_cmd, rpc_method=None)
    p.add_argument('-j', '--json-conf', help='Valid JSON configuration (default: stdin)')

    # ---------------- log ----------------
    def with_level(a):
        a.client.call(a.rpc_method, {'level': a.level})

    def with_flag(a):
        a.client.call(a.rpc_method, {'flag': a.flag})

    p = cmd('log_set_level', 'set log level', with_level)
    p.add_argument('level', help='log level we want to set. (for example "DEBUG").')
    cmd('log_get_level', 'get log level', call_print_dict)
    p = cmd('log_set_print_level', 'set log print level', with_level)
    p.add_argument('level', help='log print level we want to set. (for example "DEBUG").')
    cmd('log_get_print_level', 'get log print level', call_print_dict)
    p = cmd('log_set_flag', 'set log flag', with_flag)
    p.add_argument('flag', help='log flag we want to set. (for example "nvme").')
    p = cmd('log_clear_flag', 'clear log flag', with_flag)
    p.add_argument('flag', help='log flag we want to clear. (for example "nvme").')
    cmd('log_get_flags', 'get log flags', call_print_dict)

    # ---------------- bdev ----------------
    def bdev_set_options(a):
        params = clean({'bdev_io_pool_size': a.bdev_io_pool_size,
                        'bdev_io_cache_size': a.bdev_io_cache_size,
                        'iobuf_small_cache_size': a.iobuf_small_cache_size,
                        'iobuf_large_cache_size': a.iobuf_large_cache_size})
        params['bdev_auto_examine'] = a.bdev_auto_examine
        a.client.call(a.rpc_method, params)
    p = cmd('bdev_set_options', 'Set options of bdev subsystem', bdev_set_options)
    p.add_argument('-p', '--bdev-io-pool-size', type=int, help='Number of bdev_io structures in shared buffer pool')
    p.add_argument('-c', '--bdev-io-cache-size', type=int, help='Maximum number of bdev_io structures cached per thread')
    p.add_argument('--iobuf-small-cache-size', type=int, help='Size of the small iobuf per thread cache')
    p.add_argument('--iobuf-large-cache-size', type=int, help='Size of the large iobuf per thread cache')
    p.mutually_exclusive(
        (('-e', '--enable-auto-examine'), dict(dest='bdev_auto_examine', action='store_true', help='Allow to auto examine')),
        (('-d', '--disable-auto-examine'), dict(dest='bdev_auto_examine', action='store_false', help='Not allow to auto examine')))
    p.set_defaults(bdev_auto_examine=True)

    def blocks(total_mib, block_size):
        if block_size <= 0:
            raise RpcError('ERROR: block_size must be > 0')
        return int((total_mib * 1024 * 1024) // block_size)

    def bdev_malloc_create(a):
        params = {'num_blocks': blocks(a.total_size, a.block_size), 'block_size': a.block_size}
        for key in ('name', 'uuid', 'optimal_io_boundary', 'physical_block_size', 'md_size',
                    'md_interleave', 'dif_type', 'dif_is_head_of_md', 'dif_pi_format'):
            value = getattr(a, key)
            if value:
                params[key] = value
        print_json(a.client.call(a.rpc_method, params))
    p = cmd('bdev_malloc_create', 'Create a bdev with malloc backend', bdev_malloc_create)
    p.add_argument('-b', '--name', help='Name of the bdev')
    p.add_argument('-u', '--uuid', help='UUID of the bdev')
    p.add_argument('total_size', type=float, help='Size of malloc bdev in MB (float > 0)')
    p.add_argument('block_size', type=int, help='Data block size for this bdev')
    p.add_argument('-p', '--physical-block-size', type=int, help='Physical block size for this bdev.')
    p.add_argument('-o', '--optimal-io-boundary', type=int,
                   help='Split on optimal IO boundary, in number of blocks, default 0 (disabled)')
    p.add_argument('-m', '--md-size', type=int, help='Metadata size for this bdev (0, 8, 16, 32, 64, or 128).')
    p.add_argument('-i', '--md-interleave', action='store_true',
                   help='Metadata location, interleaved if set, and separated if omitted.')
    p.add_argument('-t', '--dif-type', type=int, choices=[0, 1, 2, 3], help='Protection information type.')
    p.add_argument('-d', '--dif-is-head-of-md', action='store_true',
                   help='Protection information is in the first 8 bytes of metadata.')
    p.add_argument('--dif-pi-format', type=int, choices=[0, 1, 2], help='Protection information format.')

    def name_only(a):
        a.client.call(a.rpc_method, {'name': a.name})

    def name_only_print(a):
        print_json(a.client.call(a.rpc_method, {'name': a.name}))

    p = cmd('bdev_malloc_delete', 'Delete a malloc disk', name_only)
    p.add_argument('name', help='malloc bdev name')

    def bdev_null_create(a):
        if a.dif_type and not a.md_size:
            print('ERROR: --md-size must be > 0 when --dif-type is > 0')
            sys.exit(1)
        params = {'name': a.name, 'num_blocks': blocks(a.total_size, a.block_size),
                  'block_size': a.block_size}
        for key in ('physical_block_size', 'uuid', 'md_size', 'dif_type', 'dif_is_head_of_md',
                    'dif_pi_format'):
            value = getattr(a, key)
            if value:
                params[key] = value
        print_json(a.client.call(a.rpc_method, params))
    p = cmd('bdev_null_create', 'Add a bdev with null backend', bdev_null_create)
    p.add_argument('name', help='Block device name')
    p.add_argument('-u', '--uuid', help='UUID of the bdev')
    p.add_argument('total_size', type=int, help='Size of null bdev in MB (int > 0). Includes only data blocks.')
    p.add_argument('block_size', type=int, help='Block size for this bdev.')
    p.add_argument('-p', '-P', '--physical-block-size', type=int, help='Physical block size for this bdev.')
    p.add_argument('-m', '--md-size', type=int, help='Metadata size for this bdev. Default=0.')
    p.add_argument('-t', '--dif-type', type=int, choices=[0, 1, 2, 3],
                   help='Protection information type. Default=0 - no protection.')
    p.add_argument('-d', '--dif-is-head-of-md', action='store_true',
                   help='Protection information is in the first 8 bytes of metadata. Default=false.')
    p.add_argument('--dif-pi-format', type=int, choices=[0, 1, 2], help='Protection information format.')

    p = cmd('bdev_null_delete', 'Delete a null bdev', name_only)
    p.add_argument('name', help='null bdev name')

    def bdev_null_resize(a):
        try:
            new_size = int(a.new_size)
        except ValueError:
            cmd_parsers['bdev_null_resize'].error("invalid new_size: '%s'" % a.new_size)
        print_json(a.client.call(a.rpc_method, {'name': a.name, 'new_size': new_size}))
    p = cmd('bdev_null_resize', 'Resize a null bdev', bdev_null_resize)
    p.add_argument('name', help='null bdev name')
    p.add_argument('new_size', help='new bdev size for resize operation. The unit is MiB')

    def bdev_aio_create(a):
        params = {'name': a.name, 'filename': a.filename}
        if a.block_size:
            params['block_size'] = a.block_size
        if a.readonly:
            params['readonly'] = True
        if a.fallocate:
            params['fallocate'] = True
        if a.uuid:
            params['uuid'] = a.uuid
        if a.nowait:
            params['nowait'] = True
        print_json(a.client.call(a.rpc_method, params))
    p = cmd('bdev_aio_create', 'Add a bdev with aio backend', bdev_aio_create)
    p.add_argument('filename', help='Path to device or file (ex: /dev/sda)')
    p.add_argument('name', help='Block device name')
    p.add_argument('block_size', type=int, nargs='?', help='Block size for this bdev')
    p.add_argument('-r', '--readonly', action='store_true', help='Set this bdev as read-only')
    p.add_argument('--fallocate', action='store_true', help='Support unmap/writezeros by fallocate')
    p.add_argument('-u', '--uuid', help='UUID of the bdev')
    p.add_argument('--no-wait', '--nowait', dest='nowait', action='store_true',
                   help='Use RWF_NOWAIT for reads and writes')

    p = cmd('bdev_aio_delete', 'Delete an aio disk', name_only)
    p.add_argument('name', help='aio bdev name')
    p = cmd('bdev_aio_rescan', 'Rescan a bdev size with aio backend', name_only_print)
    p.add_argument('name', help='Block device name')

    def bdev_get_bdevs(a):
        params = {}
        if a.name:
            params['name'] = a.name
        if a.timeout_ms:
            params['timeout'] = a.timeout_ms
        print_dict(a.client.call(a.rpc_method, params))
    p = cmd('bdev_get_bdevs', 'Display current blockdev list or required blockdev', bdev_get_bdevs)
    p.add_argument('-b', '--name', help='Name of the Blockdev. Example: Nvme0n1')
    p.add_argument('-t', '--timeout', dest='timeout_ms', type=int,
                   help='Time in ms to wait for the bdev to appear')

    def bdev_get_iostat(a):
        params = {}
        if a.name:
            params['name'] = a.name
        if a.per_channel:
            params['per_channel'] = True
        if a.reset_mode:
            params['reset_mode'] = a.reset_mode
        print_dict(a.client.call(a.rpc_method, params))
    p = cmd('bdev_get_iostat', 'Display current I/O statistics of all the blockdevs or specified blockdev.',
            bdev_get_iostat)
    p.add_argument('-b', '--name', help='Name of the Blockdev. Example: Nvme0n1')
    p.add_argument('-c', '--per-channel', action='store_true', help='Display per channel IO stats')
    p.add_argument('--reset-mode', choices=['all', 'maxmin', 'error', 'none'],
                   help='Mode to reset I/O statistics after getting')

    def bdev_set_qos_limit(a):
        params = {'name': a.name}
        for key in ('rw_ios_per_sec', 'rw_mbytes_per_sec', 'r_mbytes_per_sec', 'w_mbytes_per_sec'):
            value = getattr(a, key)
            if value is not None:
                params[key] = value
        a.client.call(a.rpc_method, params)
    p = cmd('bdev_set_qos_limit', 'Set QoS rate limit on a blockdev', bdev_set_qos_limit)
    p.add_argument('name', help='Blockdev name to set QoS. Example: Malloc0')
    for opt, text in (('rw-ios-per-sec', 'R/W IOs per second limit (>=1000). 0 means unlimited.'),
                      ('rw-mbytes-per-sec', 'R/W megabytes per second limit (>=1). 0 means unlimited.'),
                      ('r-mbytes-per-sec', 'Read megabytes per second limit (>=1). 0 means unlimited.'),
                      ('w-mbytes-per-sec', 'Write megabytes per second limit (>=1). 0 means unlimited.')):
        # SPDK spells them with dashes; accept the underscore spelling as well
        p.add_argument('--' + opt, '--' + opt.replace('-', '_'), type=int, help=text)

    # ---------------- nvmf: transports ----------------
    def nvmf_create_transport(a):
        params = {}
        for key in _TRANSPORT_KEYS:
            value = getattr(a, key)
            if value is not None:
                params[key] = value
        if a.max_qpairs_per_ctrlr is not None:
            print('WARNING: max_qpairs_per_ctrlr is deprecated, please use max_io_qpairs_per_ctrlr.',
                  file=sys.stderr)
            params['max_qpairs_per_ctrlr'] = a.max_qpairs_per_ctrlr
        a.client.call(a.rpc_method, params)
    p = cmd('nvmf_create_transport', 'Create NVMf transport', nvmf_create_transport,
            nvme_alias('nvmf_create_transport'))
    p.add_argument('-t', '--trtype', required=True, help='Transport type (ex. RDMA)')
    p.add_argument('-g', '--tgt-name', help='The name of the parent NVMe-oF target (optional)')
    p.add_argument('-q', '--max-queue-depth', type=int, help='Max number of outstanding I/O per queue')
    p.add_argument('-m', '--max-io-qpairs-per-ctrlr', type=int, help='Max number of IO qpairs per controller')
    p.add_argument('-p', '--max-qpairs-per-ctrlr', type=int,
                   help='Max number of SQ and CQ per controller (deprecated, use -m)')
    p.add_argument('-c', '--in-capsule-data-size', type=int, help='Max number of in-capsule data size')
    p.add_argument('-i', '--max-io-size', type=int, help='Max I/O size (bytes)')
    p.add_argument('-u', '--io-unit-size', type=int, help='I/O unit size (bytes)')
    p.add_argument('-a', '--max-aq-depth', type=int, help='Max number of admin cmds per AQ')
    p.add_argument('-n', '--num-shared-buffers', type=int,
                   help='The number of pooled data buffers available to the transport')
    p.add_argument('-b', '--buf-cache-size', type=int,
                   help='The number of shared buffers to reserve for each poll group')
    p.add_argument('-z', '--zcopy', action='store_true', help='Use zero-copy operations if supported')
    p.add_argument('-d', '--num-cqe', type=int, help='The number of CQ entries (RDMA, no_srq only)')
    p.add_argument('-s', '--max-srq-depth', type=int, help='Max number of outstanding I/O per SRQ (RDMA)')
    p.add_argument('-r', '--no-srq', action='store_true', help='Disable per-thread shared receive queue (RDMA)')
    p.add_argument('-o', '--c2h-success', action='store_false', help='Disable C2H success optimization (TCP)')
    p.add_argument('-f', '--dif-insert-or-strip', action='store_true', help='Enable DIF insert/strip (TCP)')
    p.add_argument('-y', '--sock-priority', type=int, help='The sock priority of the tcp connection (TCP)')
    p.add_argument('-l', '--acceptor-backlog', type=int, help='Pending connections allowed at one time (RDMA)')
    p.add_argument('-x', '--abort-timeout-sec', type=int, help='Abort execution timeout value, in seconds')
    p.add_argument('-w', '--no-wr-batching', action='store_true', help='Disable work requests batching (RDMA)')
    p.add_argument('-e', '--control-msg-num', type=int, help='The number of control messages per poll group (TCP)')
    p.add_argument('-M', '--disable-mappable-bar0', action='store_true', help='Disable mmap() of BAR0 (VFIO-USER)')
    p.add_argument('-I', '--disable-adaptive-irq', action='store_true', help='Disable adaptive interrupt (VFIO-USER)')
    p.add_argument('-S', '--disable-shadow-doorbells', action='store_true',
                   help='Disable shadow doorbell support (VFIO-USER)')
    p.add_argument('--acceptor-poll-rate', type=int, help='Polling interval of the acceptor (usec)')
    p.add_argument('--ack-timeout', type=int, help='ACK timeout in milliseconds')
    p.add_argument('--data-wr-pool-size', type=int, help='RDMA data WR pool size (RDMA)')

    def nvmf_get_transports(a):
        print_dict(a.client.call(a.rpc_method, {'trtype': a.trtype, 'tgt_name': a.tgt_name}))
    p = cmd('nvmf_get_transports', 'Display nvmf transports or required transport', nvmf_get_transports,
            nvme_alias('nvmf_get_transports'))
    p.add_argument('--trtype', help='Transport type (optional)')
    p.add_argument('-t', '--tgt-name', help='The name of the parent NVMe-oF target (optional)')

    # ---------------- nvmf: subsystems ----------------
    def nvmf_get_subsystems(a):
        print_dict(a.client.call(a.rpc_method, {'nqn': a.nqn, 'tgt_name': a.tgt_name}))
    p = cmd('nvmf_get_subsystems', 'Display nvmf subsystems or required subsystem', nvmf_get_subsystems,
            nvme_alias('nvmf_get_subsystems'))
    p.add_argument('nqn', nargs='?', help='Subsystem NQN (optional)')
    p.add_argument('-t', '--tgt-name', help='The name of the parent NVMe-oF target (optional)')

    def nvmf_create_subsystem(a):
        params = {'nqn': a.nqn}
        if a.serial_number:
            params['serial_number'] = a.serial_number
        if a.model_number:
            params['model_number'] = a.model_number
        if a.allow_any_host:
            params['allow_any_host'] = True
        if a.max_namespaces:
            params['max_namespaces'] = a.max_namespaces
        if a.tgt_name:
            params['tgt_name'] = a.tgt_name
        if a.ana_reporting:
            params['ana_reporting'] = True
        if a.min_cntlid is not None:
            params['min_cntlid'] = a.min_cntlid
        if a.max_cntlid is not None:
            params['max_cntlid'] = a.max_cntlid
        if a.max_discard_size_kib:
            params['max_discard_size_kib'] = a.max_discard_size_kib
        if a.max_write_zeroes_size_kib:
            params['max_write_zeroes_size_kib'] = a.max_write_zeroes_size_kib
        a.client.call(a.rpc_method, params)
    p = cmd('nvmf_create_subsystem', 'Create an NVMe-oF subsystem', nvmf_create_subsystem,
            nvme_alias('nvmf_create_subsystem'))
    p.add_argument('nqn', help='Subsystem NQN (ASCII)')
    p.add_argument('-t', '--tgt-name', help='The name of the parent NVMe-oF target (optional)')
    p.add_argument('-s', '--serial-number', default='00000000000000000000',
                   help="Format: 'sn' etc. Example: 'SPDK00000000000001'")
    p.add_argument('-d', '--model-number', default='SPDK bdev Controller',
                   help="Format: 'mn' etc. Example: 'SPDK Controller'")
    p.add_argument('-a', '--allow-any-host', action='store_true',
                   help="Allow any host to connect (don't enforce allowed host NQN list)")
    p.add_argument('-m', '--max-namespaces', type=int, default=0, help='Maximum number of namespaces allowed')
    p.add_argument('-r', '--ana-reporting', action='store_true', help='Enable ANA reporting feature')
    p.add_argument('-i', '--min-cntlid', '--min_cntlid', dest='min_cntlid', type=int, default=1,
                   help='Minimum controller ID')
    p.add_argument('-I', '--max-cntlid', '--max_cntlid', dest='max_cntlid', type=int, default=0xffef,
                   help='Maximum controller ID')
    p.add_argument('--max-discard-size', dest='max_discard_size_kib', type=int, help='Maximum discard size (KiB)')
    p.add_argument('--max-write-zeroes-size', dest='max_write_zeroes_size_kib', type=int,
                   help='Maximum write_zeroes size (KiB)')

    def nqn_only(a):
        params = {'nqn': a.nqn}
        if a.tgt_name:
            params['tgt_name'] = a.tgt_name
        a.client.call(a.rpc_method, params)

    def nqn_only_print(a):
        params = {'nqn': a.nqn}
        if a.tgt_name:
            params['tgt_name'] = a.tgt_name
        print_dict(a.client.call(a.rpc_method, params))

    p = cmd('nvmf_delete_subsystem', 'Delete a nvmf subsystem', nqn_only, nvme_alias('nvmf_delete_subsystem'))
    p.add_argument('nqn', help='subsystem nqn to be deleted. Example: nqn.2016-06.io.spdk:cnode1.')
    p.add_argument('-t', '--tgt-name', help='The name of the parent NVMe-oF target (optional)')

    # ---------------- nvmf: listeners ----------------
    def listener_params(a):
        nqn = DISCOVERY_NQN if a.nqn == 'discovery' else a.nqn
        addr = {'trtype': a.trtype, 'traddr': a.traddr}
        if a.trsvcid is not None:
            addr['trsvcid'] = a.trsvcid
        if a.adrfam is not None:
            addr['adrfam'] = a.adrfam
        params = {'nqn': nqn, 'listen_address': addr}
        if a.tgt_name:
            params['tgt_name'] = a.tgt_name
        return params

    def add_listener_args(p):
        p.add_argument('nqn', help="NVMe-oF subsystem NQN ('discovery' can be used as shortcut for discovery NQN)")
        p.add_argument('-t', '--trtype', required=True, help='NVMe-oF transport type: e.g., rdma')
        p.add_argument('-a', '--traddr', required=True, help='NVMe-oF transport address: e.g., an ip address')
        p.add_argument('-p', '--tgt-name', help='The name of the parent NVMe-oF target (optional)')
        p.add_argument('-f', '--adrfam', help='NVMe-oF transport adrfam: e.g., ipv4, ipv6, ib, fc, intra_host')
        p.add_argument('-s', '--trsvcid', help='NVMe-oF transport service id: e.g., a port number')

    def nvmf_subsystem_add_listener(a):
        params = listener_params(a)
        if a.secure_channel:
            params['secure_channel'] = True
        if a.ana_state:
            params['ana_state'] = a.ana_state
        if a.sock_impl:
            params['sock_impl'] = a.sock_impl
        a.client.call(a.rpc_method, params)
    p = cmd('nvmf_subsystem_add_listener', 'Add a listener to an NVMe-oF subsystem', nvmf_subsystem_add_listener,
            nvme_alias('nvmf_subsystem_add_listener'))
    add_listener_args(p)
    p.add_argument('-k', '--secure-channel', action='store_true', help='Immediately establish a secure channel')
    p.add_argument('-n', '--ana-state', help='ANA state to set: optimized, non_optimized, or inaccessible')
    p.add_argument('-S', '--sock-impl', help='The socket implementation to use for the listener (ex. posix)')

    def nvmf_subsystem_remove_listener(a):
        a.client.call(a.rpc_method, listener_params(a))
    p = cmd('nvmf_subsystem_remove_listener', 'Remove a listener from an NVMe-oF subsystem',
            nvmf_subsystem_remove_listener, nvme_alias('nvmf_subsystem_remove_listener'))
    add_listener_args(p)

    def nvmf_subsystem_listener_set_ana_state(a):
        params = listener_params(a)
        params['ana_state'] = a.ana_state
        if a.anagrpid is not None:
            params['anagrpid'] = a.anagrpid
        a.client.call(a.rpc_method, params)
    p = cmd('nvmf_subsystem_listener_set_ana_state', 'Set ANA state of a listener for an NVMe-oF subsystem',
            nvmf_subsystem_listener_set_ana_state, nvme_alias('nvmf_subsystem_listener_set_ana_state'))
    add_listener_args(p)
    p.add_argument('-n', '--ana-state', required=True,
                   help='ANA state to set: optimized, non_optimized, or inaccessible')
    p.add_argument('-g', '--anagrpid', type=int, help='ANA group ID (optional)')

    # ---------------- nvmf: namespaces ----------------
    def nvmf_subsystem_add_ns(a):
        ns = {'bdev_name': a.bdev_name}
        for key in ('ptpl_file', 'nsid', 'nguid', 'eui64', 'uuid', 'anagrpid'):
            value = getattr(a, key)
            if value:
                ns[key] = value
        if a.no_auto_visible:
            ns['no_auto_visible'] = True
        params = {'nqn': a.nqn, 'namespace': ns}
        if a.tgt_name:
            params['tgt_name'] = a.tgt_name
        a.client.call(a.rpc_method, params)
    p = cmd('nvmf_subsystem_add_ns', 'Add a namespace to an NVMe-oF subsystem', nvmf_subsystem_add_ns,
            nvme_alias('nvmf_subsystem_add_ns'))
    p.add_argument('nqn', help='NVMe-oF subsystem NQN')
    p.add_argument('bdev_name', help='The name of the bdev that will back this namespace')
    p.add_argument('-t', '--tgt-name', help='The name of the parent NVMe-oF target (optional)')
    p.add_argument('-p', '--ptpl-file', help='The persistent reservation storage location (optional)')
    p.add_argument('-n', '--nsid', type=int, help='The requested NSID (optional)')
    p.add_argument('-g', '--nguid', help='Namespace globally unique identifier (optional)')
    p.add_argument('-e', '--eui64', help='Namespace EUI-64 identifier (optional)')
    p.add_argument('-u', '--uuid', help='Namespace UUID (optional)')
    p.add_argument('-a', '--anagrpid', type=int, help='ANA group ID (optional)')
    p.add_argument('-i', '--no-auto-visible', action='store_true',
                   help='Do not auto make namespace visible to controllers (optional)')

    def nvmf_subsystem_remove_ns(a):
        params = {'nqn': a.nqn, 'nsid': a.nsid}
        if a.tgt_name:
            params['tgt_name'] = a.tgt_name
        a.client.call(a.rpc_method, params)
    p = cmd('nvmf_subsystem_remove_ns', 'Remove a namespace from an NVMe-oF subsystem', nvmf_subsystem_remove_ns,
            nvme_alias('nvmf_subsystem_remove_ns'))
    p.add_argument('nqn', help='NVMe-oF subsystem NQN')
    p.add_argument('nsid', type=int, help='The requested NSID')
    p.add_argument('-t', '--tgt-name', help='The name of the parent NVMe-oF target (optional)')

    # ---------------- nvmf: hosts ----------------
    def nvmf_subsystem_add_host(a):
        params = {'nqn': a.nqn, 'host': a.host}
        for key in ('tgt_name', 'psk', 'dhchap_key', 'dhchap_ctrlr_key'):
            value = getattr(a, key)
            if value:
                params[key] = value
        a.client.call(a.rpc_method, params)
    p = cmd('nvmf_subsystem_add_host', 'Add a host to an NVMe-oF subsystem', nvmf_subsystem_add_host,
            nvme_alias('nvmf_subsystem_add_host'))
    p.add_argument('nqn', help='NVMe-oF subsystem NQN')
    p.add_argument('host', help='Host NQN to allow')
    p.add_argument('-t', '--tgt-name', help='The name of the parent NVMe-oF target (optional)')
    p.add_argument('--psk', help='PSK for TLS authentication (optional). Only applicable for TCP transport.')
    p.add_argument('--dhchap-key', help='DH-HMAC-CHAP key name (optional)')
    p.add_argument('--dhchap-ctrlr-key', help='DH-HMAC-CHAP controller key name (optional)')

    def nvmf_subsystem_remove_host(a):
        params = {'nqn': a.nqn, 'host': a.host}
        if a.tgt_name:
            params['tgt_name'] = a.tgt_name
        a.client.call(a.rpc_method, params)
    p = cmd('nvmf_subsystem_remove_host', 'Remove a host from an NVMe-oF subsystem', nvmf_subsystem_remove_host,
            nvme_alias('nvmf_subsystem_remove_host'))
    p.add_argument('nqn', help='NVMe-oF subsystem NQN')
    p.add_argument('host', help='Host NQN to remove')
    p.add_argument('-t', '--tgt-name', help='The name of the parent NVMe-oF target (optional)')

    def nvmf_subsystem_allow_any_host(a):
        params = {'nqn': a.nqn, 'allow_any_host': bool(a.allow_any_host)}
        if a.tgt_name:
            params['tgt_name'] = a.tgt_name
        a.client.call(a.rpc_method, params)
    p = cmd('nvmf_subsystem_allow_any_host', 'Allow any host to connect to the subsystem',
            nvmf_subsystem_allow_any_host, nvme_alias('nvmf_subsystem_allow_any_host'))
    p.add_argument('nqn', help='NVMe-oF subsystem NQN')
    p.mutually_exclusive(
        (('-e', '--enable'), dict(dest='allow_any_host', action='store_true', help='Enable allowing any host')),
        (('-d', '--disable'), dict(dest='allow_any_host', action='store_false', help='Disable allowing any host')),
        (('--allow-any-host',), dict(dest='allow_any_host', action=argparse.BooleanOptionalAction,
                                     help='Enable or disable allowing any host')),
        required=True)
    p.add_argument('-t', '--tgt-name', help='The name of the parent NVMe-oF target (optional)')

    # ---------------- nvmf: queries ----------------
    for name, text in (('nvmf_subsystem_get_controllers', 'Display controllers of an NVMe-oF subsystem.'),
                       ('nvmf_subsystem_get_qpairs', 'Display queue pairs of an NVMe-oF subsystem.'),
                       ('nvmf_subsystem_get_listeners', 'Display listeners of an NVMe-oF subsystem.')):
        p = cmd(name, text, nqn_only_print, nvme_alias(name))
        p.add_argument('nqn', help='NVMe-oF subsystem NQN')
        p.add_argument('-t', '--tgt-name', help='The name of the parent NVMe-oF target (optional)')

    def nvmf_get_stats(a):
        print_dict(a.client.call(a.rpc_method, {'tgt_name': a.tgt_name}))
    p = cmd('nvmf_get_stats', 'Display current statistics for NVMf subsystem', nvmf_get_stats,
            nvme_alias('nvmf_get_stats'))
    p.add_argument('-t', '--tgt-name', help='The name of the parent NVMe-oF target (optional)')

    # ---------------- vfio-user virtio devices (vfu_tgt / vfu_virtio) ----------------
    def vfu_tgt_set_base_path(a):
        a.client.call(a.rpc_method, {'path': a.path})
    p = cmd('vfu_tgt_set_base_path', 'Set socket base path.', vfu_tgt_set_base_path)
    p.add_argument('path', help='socket base path')

    p = cmd('vfu_virtio_delete_endpoint', 'Delete the PCI device via endpoint name.', name_only)
    p.add_argument('name', help='Endpoint name')

    def vfu_virtio_create_blk_endpoint(a):
        # as SPDK's client: the optional keys only when given (0 / absent = the target's default)
        params = {'name': a.name, 'bdev_name': a.bdev_name}
        if a.cpumask:
            params['cpumask'] = a.cpumask
        if a.num_queues:
            params['num_queues'] = a.num_queues
        if a.qsize:
            params['qsize'] = a.qsize
        if a.packed_ring:
            params['packed_ring'] = a.packed_ring
        a.client.call(a.rpc_method, params)
    p = cmd('vfu_virtio_create_blk_endpoint', 'Create virtio-blk endpoint.', vfu_virtio_create_blk_endpoint)
    p.add_argument('name', help='Name of the endpoint')
    p.add_argument('--bdev-name', help='block device name', type=str, required=True)
    p.add_argument('--cpumask', help='CPU masks')
    p.add_argument('--num-queues', help='number of vrings', type=int, default=0)
    p.add_argument('--qsize', help='number of element for each vring', type=int, default=0)
    p.add_argument('--packed-ring', action='store_true', help='Enable packed ring')

    def vfu_virtio_get_endpoints(a):
        print_json(a.client.call(a.rpc_method, {'name': a.name}))
    p = cmd('vfu_virtio_get_endpoints', 'List vfio-user virtio endpoints (ours; not in SPDK).', vfu_virtio_get_endpoints)
    p.add_argument('-n', '--name', help='Only this endpoint')

    # vfio-user virtio-scsi endpoints (SPDK scripts/rpc.py + python/spdk/rpc/vfio_user.py):
    # optional values that are 0/empty are not sent, as SPDK's; nothing is printed on success.
    def vfu_virtio_create_scsi_endpoint(a):
        params = {'name': a.name}
        if a.cpumask:
            params['cpumask'] = a.cpumask
        if a.num_io_queues:
            params['num_io_queues'] = a.num_io_queues
        if a.qsize:
            params['qsize'] = a.qsize
        if a.packed_ring:
            params['packed_ring'] = a.packed_ring
        a.client.call(a.rpc_method, params)
    p = cmd('vfu_virtio_create_scsi_endpoint', 'Create virtio-scsi endpoint.', vfu_virtio_create_scsi_endpoint)
    p.add_argument('name', help='Name of the endpoint')
    p.add_argument('--cpumask', help='CPU masks')
    p.add_argument('--num-io-queues', help='number of IO vrings', type=int, default=0)
    p.add_argument('--qsize', help='number of element for each vring', type=int, default=0)
    p.add_argument('--packed-ring', action='store_true', help='Enable packed ring')

    def vfu_virtio_scsi_add_target(a):
        a.client.call(a.rpc_method, {'name': a.name, 'scsi_target_num': a.scsi_target_num,
                                     'bdev_name': a.bdev_name})
    p = cmd('vfu_virtio_scsi_add_target', 'Attach a block device to SCSI target of PCI endpoint.',
            vfu_virtio_scsi_add_target)
    p.add_argument('name', help='Name of the endpoint')
    p.add_argument('--scsi-target-num', help='number of SCSI Target', type=int, required=True)
    p.add_argument('--bdev-name', help='block device name', type=str, required=True)

    def vfu_virtio_scsi_remove_target(a):
        a.client.call(a.rpc_method, {'name': a.name, 'scsi_target_num': a.scsi_target_num})
    p = cmd('vfu_virtio_scsi_remove_target', 'Remove the specified SCSI target of PCI endpoint.',
            vfu_virtio_scsi_remove_target)
    p.add_argument('name', help='Name of the endpoint')
    p.add_argument('--scsi-target-num', help='number of SCSI Target', type=int, required=True)

    cmd_parsers = sub.choices
    return parser


# key order as rpc.py sends them (order the options are declared); the
# store_true/store_false flags are always sent as explicit booleans.
_TRANSPORT_KEYS = (
    'trtype', 'tgt_name', 'max_queue_depth', 'max_io_qpairs_per_ctrlr', 'in_capsule_data_size',
    'max_io_size', 'io_unit_size', 'max_aq_depth', 'num_shared_buffers', 'buf_cache_size', 'zcopy',
    'num_cqe', 'max_srq_depth', 'no_srq', 'c2h_success', 'dif_insert_or_strip', 'sock_priority',
    'acceptor_backlog', 'abort_timeout_sec', 'no_wr_batching', 'control_msg_num',
    'disable_mappable_bar0', 'disable_adaptive_irq', 'disable_shadow_doorbells',
    'acceptor_poll_rate', 'ack_timeout', 'data_wr_pool_size')


class _Multi:
    """Applies add_argument & co. to a command parser and its alias parsers."""

    def __init__(self, parsers):
        self.parsers = parsers

    def add_argument(self, *args, **kwargs):
        for p in self.parsers:
            p.add_argument(*args, **kwargs)

    def set_defaults(self, **kwargs):
        for p in self.parsers:
            p.set_defaults(**kwargs)

    def mutually_exclusive(self, *options, required=False):
        for p in self.parsers:
            group = p.add_mutually_exclusive_group(required=required)
            for flags, kwargs in options:
                group.add_argument(*flags, **kwargs)


# ---------------------------------------------------------------------------
# main

def _setup_logging(level_name):
    level = getattr(logging, level_name or 'ERROR', logging.ERROR)
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter('%(levelname)s: %(message)s'))
    LOG.handlers[:] = [handler]
    LOG.setLevel(level)
    LOG.propagate = False


def _connect(args):
    if args.timeout <= 0:
        raise RpcError('Timeout value is invalid')
    return Client(args.server_addr, args.port, args.timeout, args.conn_retries)


def _run(args):
    args.func(args)


def _execute_script(parser, client, lines):
    executed = ''
    for line in lines:
        line = line.rstrip('\n').rstrip()
        if not line.strip():
            continue
        executed = '\n'.join([executed, line])
        words = shlex.split(line, comments=False)
        if not words or words[0].startswith('#'):
            continue
        args = parser.parse_args(words)
        if getattr(args, 'func', None) is None:
            continue
        args.client = client
        try:
            _run(args)
        except RpcError as ex:
            print('Exception:')
            print(executed.strip() + ' <<<')
            print(ex.message)
            sys.exit(1)


def _run_server(parser):
    for line in sys.stdin:
        try:
            words = shlex.split(line)
        except ValueError:
            print('**STATUS=1', flush=True)
            continue
        if not words:
            continue
        try:
            args = parser.parse_args(words)
        except SystemExit:
            print('**STATUS=1', flush=True)
            continue
        if getattr(args, 'func', None) is None:
            print('**STATUS=1', flush=True)
            continue
        _setup_logging(args.verbose)
        client = None
        try:
            client = _connect(args)
            args.client = client
            _run(args)
            print('**STATUS=0', flush=True)
        except RpcError as ex:
            print(ex.message)
            print('**STATUS=1', flush=True)
        except SystemExit as ex:
            print('**STATUS=%d' % (0 if not ex.code else 1), flush=True)
        finally:
            if client is not None:
                client.close()
    sys.stdout.flush()
    return 0


def main(argv=None):
    global _SILENT
    parser = build_parser()
    args = parser.parse_args(argv)
    _setup_logging(args.verbose)
    _SILENT = False

    if args.is_server:
        return _run_server(parser)

    if args.dry_run:
        if args.called_rpc_name is None:
            parser.print_help()
            return 1
        args.client = DryRunClient()
        _SILENT = True
        try:
            _run(args)
        except RpcError as ex:
            print(ex.message)
            return 1
        return 0

    if args.called_rpc_name is None:
        if sys.stdin.isatty():
            parser.print_help()
            return 1
        try:
            client = _connect(args)
        except RpcError as ex:
            print(ex.message)
            return 1
        try:
            _execute_script(parser, client, sys.stdin)
        finally:
            client.close()
        return 0

    client = None
    try:
        client = _connect(args)
        args.client = client
        _run(args)
    except RpcError as ex:
        print(ex.message)
        return 1
    finally:
        if client is not None:
            client.close()
    return 0


if __name__ == '__main__':
    try:
        sys.exit(main())
    except KeyboardInterrupt:
        sys.exit(130)
    except BrokenPipeError:
        sys.exit(1)
