"""Tests for scripts/rpc.py against a fake SPDK JSON-RPC server.

Run: python3 -m unittest discover -s tests/rpcpy
"""

import contextlib
import importlib.util
import io
import json
import os
import subprocess
import sys
import tempfile
import threading
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from fake_spdk import (BOTH, CLOSE, NO_REPLY, RUNTIME, STARTUP, FakeSpdk,  # noqa: E402
                       Reply)

RPC = os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', '..', 'scripts', 'rpc.py')
RPC = os.path.normpath(RPC)


def load_rpc_module():
    loader = importlib.machinery.SourceFileLoader('rpc_py_under_test', RPC)
    spec = importlib.util.spec_from_loader(loader.name, loader)
    module = importlib.util.module_from_spec(spec)
    loader.exec_module(module)
    return module


rpc_py = load_rpc_module()


def run_in_process(*argv, stdin=''):
    """Run rpc.py's main() in this process; returns (exit code, stdout, stderr)."""
    out, err = io.StringIO(), io.StringIO()
    saved_stdin = sys.stdin
    sys.stdin = io.StringIO(stdin)   # a non-TTY stdin, like a pipe
    try:
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            try:
                code = rpc_py.main(list(argv))
            except SystemExit as ex:
                code = ex.code
    finally:
        sys.stdin = saved_stdin
    return code or 0, out.getvalue(), err.getvalue()


def req_bytes(method, rid=1, params=None):
    req = {'jsonrpc': '2.0', 'method': method, 'id': rid}
    if params:
        req['params'] = params
    return json.dumps(req, indent=2).encode()


class RpcPyTestCase(unittest.TestCase):
    def server(self, **kwargs):
        srv = FakeSpdk(**kwargs)
        self.addCleanup(srv.stop)
        return srv

    def rpc(self, *args, srv=None, stdin=None, timeout=10, subproc=False):
        """Run rpc.py; in-process (fast) unless subproc, which runs the executable script."""
        cmd = []
        if srv is not None:
            if srv.tcp:
                cmd += ['-s', '127.0.0.1', '-p', str(srv.port)]
            else:
                cmd += ['-s', srv.path]
        cmd += list(args)
        if not subproc:
            code, out, err = run_in_process(*cmd, stdin=stdin or '')
            return subprocess.CompletedProcess(cmd, code, out, err)
        return subprocess.run([RPC] + cmd, input=stdin if stdin is not None else '',
                              capture_output=True, text=True, timeout=timeout)


class WireFormatTests(RpcPyTestCase):
    def test_no_params_exact_bytes_and_dict_print(self):
        srv = self.server()
        version = {'version': 'SPDK v24.05', 'fields': {'major': 24, 'minor': 5, 'patch': 0, 'suffix': ''}}
        srv.on('spdk_get_version', version)
        r = self.rpc('spdk_get_version', srv=srv, subproc=True)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual(srv.raw, [req_bytes('spdk_get_version')])
        self.assertFalse(srv.raw[0].endswith(b'\n'))
        self.assertNotIn(b'"params"', srv.raw[0])
        self.assertEqual(r.stdout, json.dumps(version, indent=2) + '\n')

    def test_params_exact_bytes_and_bare_string_print(self):
        srv = self.server()
        srv.on('bdev_null_create', 'Null0')
        r = self.rpc('bdev_null_create', 'Null0', '102400', '512', srv=srv)
        self.assertEqual(r.returncode, 0, r.stderr)
        expected = req_bytes('bdev_null_create', params={'name': 'Null0', 'num_blocks': 209715200,
                                                         'block_size': 512})
        self.assertEqual(srv.raw, [expected])
        self.assertEqual(r.stdout, 'Null0\n')

    def test_true_result_prints_nothing(self):
        srv = self.server()
        srv.on('bdev_malloc_delete', True)
        r = self.rpc('bdev_malloc_delete', 'Malloc0', srv=srv)
        self.assertEqual((r.returncode, r.stdout), (0, ''))
        self.assertEqual(srv.flat_requests()[0]['params'], {'name': 'Malloc0'})

    def test_empty_params_dict_is_omitted(self):
        srv = self.server()
        srv.on('bdev_get_bdevs', [])
        r = self.rpc('bdev_get_bdevs', srv=srv)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual(srv.raw, [req_bytes('bdev_get_bdevs')])
        self.assertEqual(r.stdout, '[]\n')

    def test_response_in_chunks_with_split_utf8(self):
        srv = self.server()
        body = json.dumps({'jsonrpc': '2.0', 'id': 1, 'result': 'Malloc\u00e9\u4e2d'},
                          ensure_ascii=False).encode() + b'\n'
        chunks = [body[i:i + 3] for i in range(0, len(body), 3)]
        srv.on('bdev_malloc_create', handler=lambda p: Reply(chunks, delay=0.002))
        r = self.rpc('bdev_malloc_create', '1', '512', srv=srv)
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        # like SPDK's print_json: json.dumps (ASCII escapes) with the quotes stripped
        self.assertEqual(r.stdout, 'Malloc\\u00e9\\u4e2d\n')

    def test_tcp_address(self):
        srv = self.server(tcp=True)
        srv.on('framework_get_reactors', {'tick_rate': 1, 'reactors': []})
        r = self.rpc('framework_get_reactors', srv=srv)
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        self.assertEqual(json.loads(r.stdout), {'tick_rate': 1, 'reactors': []})

    def test_verbose_logs_to_stderr(self):
        srv = self.server()
        srv.on('log_get_level', 'NOTICE')
        r = self.rpc('-v', 'log_get_level', srv=srv)
        self.assertEqual(r.returncode, 0)
        self.assertEqual(r.stdout, '"NOTICE"\n')   # print_dict keeps the quotes
        self.assertIn('"method": "log_get_level"', r.stderr)
        self.assertIn('NOTICE', r.stderr)
        r = self.rpc('log_get_level', srv=srv)
        self.assertEqual(r.stderr, '')


class ReplyFramerTests(unittest.TestCase):
    """The reply framer finds each value's end in one pass, whatever the chunk boundaries."""

    VALUES = [
        {'a': 'x{y}[z]"q\\', 'b': [1, 2, {'c': '\\"}'}]},
        [1, '"]', {'k': '\\'}, []],
        {'result': 'Malloc\u00e9\u4e2d', 'e': {}},
    ]

    def frame(self, text, cuts):
        framer, got, prev = rpc_py.ReplyFramer(), [], 0
        for cut in list(cuts) + [len(text)]:
            framer.feed(text[prev:cut])
            prev = cut
            while True:
                value = framer.next_value()
                if value is None:
                    break
                got.append(value)
        return got, framer

    def test_every_split_point_of_escapes_braces_and_quotes(self):
        for value in self.VALUES:
            text = json.dumps(value, ensure_ascii=False) + '\n ' + json.dumps(value)
            for cut in range(1, len(text)):
                got, framer = self.frame(text, [cut])
                self.assertEqual(got, [value, value], 'split at %d of %r' % (cut, text))
                self.assertEqual(framer.text().strip(), '')

    def test_incomplete_value_waits_and_keeps_its_text(self):
        got, framer = self.frame('{"a": "}", "b": [1', [3, 9])
        self.assertEqual(got, [])
        self.assertEqual(framer.text(), '{"a": "}", "b": [1')

    def test_scalar_top_level_value_falls_back_to_a_parse(self):
        got, _ = self.frame(' 5 {"x": 1}', [])
        self.assertEqual(got, [5, {'x': 1}])

    def test_large_reply_through_the_socket_in_small_chunks(self):
        result = [{'name': 'Null%d' % i, 'aliases': [], 'driver_specific': {'s': 'a"}]\\'}} for i in range(20000)]
        body = json.dumps({'jsonrpc': '2.0', 'id': 1, 'result': result}).encode() + b'\n'
        chunks = [body[i:i + 4093] for i in range(0, len(body), 4093)]
        with FakeSpdk() as srv:
            srv.on('bdev_get_bdevs', handler=lambda p: Reply(chunks))
            client = rpc_py.Client(srv.path, timeout=60)
            try:
                self.assertEqual(client.call('bdev_get_bdevs'), result)
            finally:
                client.close()


class ErrorTests(RpcPyTestCase):
    def test_jsonrpc_error_print_format_and_exit_1(self):
        srv = self.server()
        srv.on('nvmf_create_subsystem', error=(-32603, 'Unable to find target foobar'))
        nqn = 'nqn.2016-06.io.spdk:cnode1'
        r = self.rpc('nvmf_create_subsystem', '-t', 'foobar', nqn, srv=srv)
        self.assertEqual(r.returncode, 1)
        shown = {'nqn': nqn, 'serial_number': '00000000000000000000',
                 'model_number': 'SPDK bdev Controller', 'tgt_name': 'foobar',
                 'min_cntlid': 1, 'max_cntlid': 65519, 'method': 'nvmf_create_subsystem', 'req_id': 1}
        expected = '\n'.join(['request:', json.dumps(shown, indent=2), 'Got JSON-RPC error response',
                              'response:', json.dumps({'code': -32603, 'message': 'Unable to find target foobar'},
                                                      indent=2)]) + '\n'
        self.assertEqual(r.stdout, expected)

    def test_error_without_params(self):
        srv = self.server()
        r = self.rpc('framework_get_subsystems', srv=srv)   # not registered -> -32601
        self.assertEqual(r.returncode, 1)
        self.assertEqual(r.stdout, 'request:\n{\n  "method": "framework_get_subsystems",\n  "req_id": 1\n}\n'
                                   'Got JSON-RPC error response\nresponse:\n'
                                   '{\n  "code": -32601,\n  "message": "Method not found"\n}\n')

    def test_argparse_errors_exit_2(self):
        self.assertEqual(self.rpc('no_such_command').returncode, 2)
        for argv in (('bdev_malloc_create', '64'),
                     ('nvmf_subsystem_add_listener', 'nqn.x', '-t', 'tcp'),
                     ('nvmf_subsystem_allow_any_host', 'nqn.x'),
                     ('nvmf_subsystem_allow_any_host', 'nqn.x', '-e', '-d'),
                     ('bdev_malloc_create', 'x', '512'),
                     ('bdev_null_create', 'N', '1', '512', '-t', '7'),
                     ('bdev_get_iostat', '--reset-mode', 'bogus'),
                     ('--verbose', 'LOUD', 'spdk_get_version')):
            code, _, err = run_in_process('--dry-run', *argv)
            self.assertEqual(code, 2, argv)
            self.assertIn('error:', err)

    def test_connection_error(self):
        tmp = tempfile.mkdtemp()
        self.addCleanup(os.rmdir, tmp)
        missing = os.path.join(tmp, 'nope.sock')
        r = self.rpc('-s', missing, 'spdk_get_version')
        self.assertEqual(r.returncode, 1)
        self.assertTrue(r.stdout.startswith('Error while connecting to %s\nIs SPDK application running?\n'
                                            'Error details: ' % missing), r.stdout)

    def test_connection_error_after_retries(self):
        tmp = tempfile.mkdtemp()
        self.addCleanup(os.rmdir, tmp)
        missing = os.path.join(tmp, 'nope.sock')
        t0 = time.monotonic()
        r = self.rpc('-s', missing, '-r', '2', 'spdk_get_version')
        self.assertGreaterEqual(time.monotonic() - t0, 0.4)   # 2 retries, 0.2 s apart
        self.assertEqual(r.returncode, 1)
        self.assertIn('Is SPDK application running?', r.stdout)

    def test_timeout(self):
        srv = self.server()
        srv.on('framework_wait_init', handler=lambda p: NO_REPLY)
        t0 = time.monotonic()
        r = self.rpc('-t', '0.3', 'framework_wait_init', srv=srv)
        self.assertLess(time.monotonic() - t0, 5)
        self.assertEqual(r.returncode, 1)
        self.assertTrue(r.stdout.startswith('Timeout while waiting for response:'), r.stdout)

    def test_invalid_timeout(self):
        r = self.rpc('-t', '0', 'spdk_get_version')
        self.assertEqual(r.returncode, 1)
        self.assertIn('Timeout value is invalid', r.stdout)

    def test_partial_response_then_close(self):
        srv = self.server()
        srv.on('bdev_get_bdevs', handler=lambda p: Reply([b'{"jsonrpc":"2.0","id":1,"res'], close=True))
        r = self.rpc('bdev_get_bdevs', srv=srv)
        self.assertEqual(r.returncode, 1)
        self.assertTrue(r.stdout.startswith('Connection closed with partial response:\n'
                                            '{"jsonrpc":"2.0","id":1,"res'), r.stdout)

    def test_kill_instance_tolerates_close(self):
        srv = self.server()
        srv.on('spdk_kill_instance', handler=lambda p: CLOSE)
        r = self.rpc('spdk_kill_instance', 'SIGTERM', srv=srv)
        self.assertEqual((r.returncode, r.stdout), (0, ''), r.stdout)
        self.assertEqual(srv.flat_requests()[0]['params'], {'sig_name': 'SIGTERM'})


class ModeTests(RpcPyTestCase):
    def test_dry_run(self):
        r = self.rpc('--dry-run', 'bdev_malloc_create', '-b', 'Malloc1', '64', '512')
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual(r.stdout, 'Request:\n' + json.dumps(
            {'method': 'bdev_malloc_create',
             'params': {'num_blocks': 131072, 'block_size': 512, 'name': 'Malloc1'}}, indent=2) + '\n')

    def test_stdin_commands_on_one_connection(self):
        srv = self.server()
        srv.on('bdev_malloc_create', handler=lambda p: p.get('name', 'Malloc0'))
        srv.on('nvmf_create_transport', True)
        script = ('# comment line\n'
                  'bdev_malloc_create 64 512 -b "Malloc A"\n'
                  '\n'
                  'nvmf_create_transport -t tcp -o\n'
                  'bdev_malloc_create 8 4096\n')
        r = self.rpc(srv=srv, stdin=script)
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        self.assertEqual(r.stdout, 'Malloc A\nMalloc0\n')
        self.assertEqual(srv.connections, 1)
        self.assertEqual([q['id'] for q in srv.flat_requests()], [1, 2, 3])
        self.assertEqual(srv.methods_called, ['bdev_malloc_create', 'nvmf_create_transport', 'bdev_malloc_create'])

    def test_stdin_stops_at_first_failure(self):
        srv = self.server()
        srv.on('bdev_malloc_delete', error=(-19, 'No such device'))
        srv.on('bdev_null_delete', True)
        r = self.rpc(srv=srv, stdin='bdev_null_delete a\nbdev_malloc_delete b\nbdev_null_delete c\n')
        self.assertEqual(r.returncode, 1)
        self.assertTrue(r.stdout.startswith('Exception:\nbdev_null_delete a\nbdev_malloc_delete b <<<\nrequest:\n'),
                        r.stdout)
        self.assertIn('"message": "No such device"', r.stdout)
        self.assertEqual(srv.methods_called, ['bdev_null_delete', 'bdev_malloc_delete'])

    def test_server_mode(self):
        srv = self.server()
        srv.on('bdev_null_delete', True)
        srv.on('bdev_get_bdevs', [{'name': 'x'}])
        lines = ('-s %s bdev_null_delete a\n'
                 '-s %s bogus_command\n'
                 '-s %s bdev_malloc_delete zz\n'
                 '-s %s bdev_get_bdevs -b x\n') % ((srv.path,) * 4)
        r = self.rpc('--server', stdin=lines)
        self.assertEqual(r.returncode, 0)
        statuses = [line for line in r.stdout.splitlines() if line.startswith('**STATUS=')]
        self.assertEqual(statuses, ['**STATUS=0', '**STATUS=1', '**STATUS=1', '**STATUS=0'])
        self.assertIn('"name": "x"', r.stdout)
        self.assertEqual(srv.connections, 3)

    def test_connect_retries(self):
        tmp = tempfile.mkdtemp(prefix='rpcpy-')
        path = os.path.join(tmp, 'late.sock')
        holder = {}

        def late_start():
            time.sleep(0.5)
            srv = FakeSpdk(path=path, start=False)
            srv.on('spdk_get_version', {'version': 'late'})
            srv.start()
            holder['srv'] = srv

        t = threading.Thread(target=late_start)
        t.start()

        def cleanup():
            t.join()
            if 'srv' in holder:
                holder['srv'].stop()
            if os.path.exists(path):
                os.unlink(path)
            os.rmdir(tmp) if os.path.isdir(tmp) else None
        self.addCleanup(cleanup)
        r = self.rpc('-s', path, '-r', '20', 'spdk_get_version')
        self.assertEqual(r.returncode, 0, r.stdout)
        self.assertEqual(json.loads(r.stdout), {'version': 'late'})


class CommandSyntaxTests(RpcPyTestCase):
    def dry(self, *args):
        code, out, err = run_in_process('--dry-run', *args)
        self.assertEqual(code, 0, out + err)
        self.assertTrue(out.startswith('Request:\n'))
        return json.loads(out[len('Request:\n'):])

    def test_unit_conversions(self):
        self.assertEqual(self.dry('bdev_malloc_create', '64', '512')['params'],
                         {'num_blocks': 131072, 'block_size': 512})
        self.assertEqual(self.dry('bdev_malloc_create', '0.5', '4096', '-b', 'M', '-u', 'u-1')['params'],
                         {'num_blocks': 128, 'block_size': 4096, 'name': 'M', 'uuid': 'u-1'})
        self.assertEqual(self.dry('bdev_null_create', 'N', '1', '4096', '-m', '8', '-t', '1', '-d')['params'],
                         {'name': 'N', 'num_blocks': 256, 'block_size': 4096, 'md_size': 8,
                          'dif_type': 1, 'dif_is_head_of_md': True})
        self.assertEqual(self.dry('bdev_null_resize', 'N', '200')['params'], {'name': 'N', 'new_size': 200})
        code, out, _ = run_in_process('--dry-run', 'bdev_null_create', 'N', '1', '512', '-t', '1')
        self.assertEqual(code, 1)
        self.assertIn('--md-size must be > 0', out)

    def test_bdev_commands(self):
        self.assertEqual(self.dry('bdev_aio_create', '/tmp/f', 'aio0', '4096', '-r', '--fallocate')['params'],
                         {'name': 'aio0', 'filename': '/tmp/f', 'block_size': 4096, 'readonly': True,
                          'fallocate': True})
        self.assertEqual(self.dry('bdev_aio_create', '/tmp/f', 'aio0')['params'], {'name': 'aio0', 'filename': '/tmp/f'})
        self.assertEqual(self.dry('bdev_get_bdevs', '-b', 'M', '-t', '100')['params'], {'name': 'M', 'timeout': 100})
        self.assertEqual(self.dry('bdev_get_iostat', '-b', 'M', '-c', '--reset-mode', 'all')['params'],
                         {'name': 'M', 'per_channel': True, 'reset_mode': 'all'})
        self.assertEqual(self.dry('bdev_set_qos_limit', 'M', '--rw-ios-per-sec', '2000',
                                  '--w_mbytes_per_sec', '0')['params'],
                         {'name': 'M', 'rw_ios_per_sec': 2000, 'w_mbytes_per_sec': 0})
        self.assertEqual(self.dry('bdev_set_options', '-p', '65535', '-d')['params'],
                         {'bdev_io_pool_size': 65535, 'bdev_auto_examine': False})
        self.assertEqual(self.dry('rpc_get_methods', '-c')['params'], {'current': True})
        self.assertEqual(self.dry('log_set_level', 'DEBUG')['params'], {'level': 'DEBUG'})
        self.assertEqual(self.dry('log_clear_flag', 'nvmf')['params'], {'flag': 'nvmf'})

    def test_nvmf_transport(self):
        req = self.dry('nvmf_create_transport', '-t', 'tcp', '-o', '-u', '8192', '-q', '64', '-y', '3')
        p = req['params']
        self.assertEqual(req['method'], 'nvmf_create_transport')
        self.assertEqual((p['trtype'], p['io_unit_size'], p['max_queue_depth'], p['sock_priority']),
                         ('tcp', 8192, 64, 3))
        self.assertIs(p['c2h_success'], False)
        self.assertIs(p['zcopy'], False)
        self.assertIs(self.dry('nvmf_create_transport', '-t', 'tcp')['params']['c2h_success'], True)
        self.assertEqual(self.dry('nvmf_get_transports', '--trtype', 'tcp')['params'], {'trtype': 'tcp'})

    def test_nvmf_subsystem_and_listeners(self):
        p = self.dry('nvmf_create_subsystem', 'nqn.a', '-a', '-s', 'SPDK1', '-m', '4', '-r', '-i', '0', '-I', '9')
        self.assertEqual(p['params'], {'nqn': 'nqn.a', 'serial_number': 'SPDK1', 'model_number': 'SPDK bdev Controller',
                                       'allow_any_host': True, 'max_namespaces': 4, 'ana_reporting': True,
                                       'min_cntlid': 0, 'max_cntlid': 9})
        p = self.dry('nvmf_subsystem_add_listener', 'discovery', '-t', 'tcp', '-a', '10.0.0.1', '-s', '4420',
                     '-f', 'ipv4', '--ana-state', 'optimized')
        self.assertEqual(p['params'], {'nqn': 'nqn.2014-08.org.nvmexpress.discovery',
                                       'listen_address': {'trtype': 'tcp', 'traddr': '10.0.0.1',
                                                          'trsvcid': '4420', 'adrfam': 'ipv4'},
                                       'ana_state': 'optimized'})
        p = self.dry('nvmf_subsystem_remove_listener', 'nqn.a', '-t', 'tcp', '-a', '127.0.0.1', '-s', '4421')
        self.assertEqual(p['params']['listen_address'], {'trtype': 'tcp', 'traddr': '127.0.0.1', 'trsvcid': '4421'})
        p = self.dry('nvmf_subsystem_listener_set_ana_state', 'nqn.a', '-n', 'inaccessible', '-t', 'tcp',
                     '-a', '1.2.3.4', '-s', '4420', '-g', '2')
        self.assertEqual(p['params'], {'nqn': 'nqn.a', 'listen_address': {'trtype': 'tcp', 'traddr': '1.2.3.4',
                                                                           'trsvcid': '4420'},
                                       'ana_state': 'inaccessible', 'anagrpid': 2})
        p = self.dry('nvmf_subsystem_add_ns', 'nqn.a', 'Malloc1', '-n', '5', '-u', 'U', '-g', 'G', '-e', 'E', '-i')
        self.assertEqual(p['params'], {'nqn': 'nqn.a', 'namespace': {'bdev_name': 'Malloc1', 'nsid': 5, 'nguid': 'G',
                                                                     'eui64': 'E', 'uuid': 'U',
                                                                     'no_auto_visible': True}})
        self.assertEqual(self.dry('nvmf_subsystem_remove_ns', 'nqn.a', '5')['params'], {'nqn': 'nqn.a', 'nsid': 5})
        self.assertEqual(self.dry('nvmf_subsystem_add_host', 'nqn.a', 'nqn.h')['params'], {'nqn': 'nqn.a', 'host': 'nqn.h'})
        for flag, value in (('-e', True), ('-d', False), ('--allow-any-host', True), ('--no-allow-any-host', False)):
            self.assertEqual(self.dry('nvmf_subsystem_allow_any_host', flag, 'nqn.a')['params'],
                             {'nqn': 'nqn.a', 'allow_any_host': value})
        self.assertEqual(self.dry('nvmf_get_subsystems')['params'], {})
        self.assertEqual(self.dry('nvmf_get_subsystems', 'nqn.a')['params'], {'nqn': 'nqn.a'})

    def test_nvme_aliases_send_alias_name(self):
        srv = self.server()
        srv.on('nvme_create_transport', True)
        srv.on('nvme_subsystem_add_listener', True)
        srv.on('nvme_create_subsystem', True)
        srv.on('nvme_subsystem_add_ns', 1)
        cmds = ['nvme_create_transport -t tcp',
                'nvme_create_subsystem nqn.a -a',
                'nvme_subsystem_add_ns nqn.a Malloc0',
                'nvme_subsystem_add_listener nqn.a -t tcp -a 127.0.0.1 -s 4420']
        r = self.rpc(srv=srv, stdin='\n'.join(cmds) + '\n')
        self.assertEqual(r.returncode, 0, r.stdout)
        self.assertEqual(srv.methods_called, ['nvme_create_transport', 'nvme_create_subsystem',
                                              'nvme_subsystem_add_ns', 'nvme_subsystem_add_listener'])
        self.assertEqual(srv.flat_requests()[3]['params']['listen_address'],
                         {'trtype': 'tcp', 'traddr': '127.0.0.1', 'trsvcid': '4420'})


class ConfigTests(RpcPyTestCase):
    SUBSYSTEMS = [{'subsystem': 'iobuf', 'depends_on': []},
                  {'subsystem': 'bdev', 'depends_on': ['iobuf']},
                  {'subsystem': 'nvmf', 'depends_on': ['bdev']},
                  {'subsystem': 'scheduler', 'depends_on': []}]
    CONFIGS = {'iobuf': [{'method': 'iobuf_set_options', 'params': {'small_pool_count': 8192}}],
               'bdev': [{'method': 'bdev_set_options', 'params': {'bdev_io_pool_size': 65535}},
                        {'method': 'bdev_malloc_create', 'params': {'name': 'Malloc0', 'num_blocks': 16,
                                                                    'block_size': 512}}],
               'nvmf': [{'method': 'nvmf_create_transport', 'params': {'trtype': 'TCP'}}],
               'scheduler': None}

    def config_server(self):
        srv = self.server()
        srv.on('framework_get_subsystems', self.SUBSYSTEMS, mask=RUNTIME)
        srv.on('framework_get_config', handler=lambda p: self.CONFIGS[p['name']], mask=RUNTIME)
        return srv

    def test_save_config(self):
        srv = self.config_server()
        r = self.rpc('save_config', srv=srv)
        self.assertEqual(r.returncode, 0, r.stdout)
        expected = {'subsystems': [{'subsystem': s['subsystem'], 'config': self.CONFIGS[s['subsystem']]}
                                   for s in self.SUBSYSTEMS]}
        self.assertEqual(r.stdout, json.dumps(expected, indent=2) + '\n')
        self.assertEqual(srv.methods_called, ['framework_get_subsystems'] + ['framework_get_config'] * 4)
        self.assertEqual([q.get('params') for q in srv.flat_requests()[1:]],
                         [{'name': 'iobuf'}, {'name': 'bdev'}, {'name': 'nvmf'}, {'name': 'scheduler'}])
        self.assertEqual(srv.connections, 1)

    def test_save_config_subset_compact(self):
        srv = self.config_server()
        r = self.rpc('save_config', '-s', 'bdev', '-i', '-1', srv=srv)
        self.assertEqual(r.returncode, 0, r.stdout)
        self.assertEqual(r.stdout.count('\n'), 1)
        names = [s['subsystem'] for s in json.loads(r.stdout)['subsystems']]
        self.assertEqual(names, ['iobuf', 'bdev'])

    def test_save_subsystem_config(self):
        srv = self.config_server()
        r = self.rpc('save_subsystem_config', '-n', 'nvmf', srv=srv)
        self.assertEqual(r.returncode, 0, r.stdout)
        self.assertEqual(json.loads(r.stdout), {'subsystem': 'nvmf', 'config': self.CONFIGS['nvmf']})

    def startup_server(self):
        srv = self.server()
        srv.state = STARTUP
        srv.enable_rpc_get_methods()
        for name in ('iobuf_set_options', 'bdev_set_options'):
            srv.on(name, True, mask=STARTUP)
        srv.on('bdev_malloc_create', 'Malloc0', mask=RUNTIME)
        srv.on('nvmf_create_transport', True, mask=RUNTIME)
        srv.on('framework_wait_init', True, mask=BOTH)
        return srv

    def test_load_config_state_machine(self):
        srv = self.startup_server()
        config = {'subsystems': [{'subsystem': s['subsystem'], 'config': self.CONFIGS[s['subsystem']]}
                                 for s in self.SUBSYSTEMS]}
        r = self.rpc('load_config', srv=srv, stdin=json.dumps(config))
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        self.assertEqual(r.stdout, '')
        self.assertEqual(srv.methods_called,
                         ['rpc_get_methods',
                          'rpc_get_methods', 'iobuf_set_options', 'bdev_set_options', 'framework_start_init',
                          'rpc_get_methods', 'bdev_malloc_create', 'nvmf_create_transport'])
        reqs = srv.flat_requests()
        self.assertEqual(reqs[0]['params'], {'include_aliases': False})
        self.assertEqual(reqs[1]['params'], {'current': True, 'include_aliases': False})
        self.assertEqual(reqs[6]['params'], {'name': 'Malloc0', 'num_blocks': 16, 'block_size': 512})
        self.assertEqual(srv.state, RUNTIME)
        self.assertEqual(srv.connections, 1)

    def test_load_config_from_file_skips_passed_state(self):
        srv = self.startup_server()
        srv.state = RUNTIME   # STARTUP-only entries can no longer be applied
        config = {'subsystems': [{'subsystem': 'bdev', 'config': self.CONFIGS['bdev']}]}
        fd, path = tempfile.mkstemp(suffix='.json')
        self.addCleanup(os.unlink, path)
        with os.fdopen(fd, 'w') as f:
            json.dump(config, f)
        r = self.rpc('load_config', '-j', path, srv=srv)
        self.assertEqual(r.returncode, 0, r.stdout)
        self.assertEqual(r.stdout, 'Some configs were skipped because the RPC state that can call them passed over.\n')
        self.assertEqual(srv.methods_called, ['rpc_get_methods', 'rpc_get_methods', 'bdev_malloc_create',
                                              'rpc_get_methods'])

    def test_load_config_empty_starts_framework(self):
        srv = self.startup_server()
        r = self.rpc('load_config', srv=srv, stdin='{"subsystems": [{"subsystem": "x", "config": null}]}')
        self.assertEqual(r.returncode, 0, r.stdout)
        self.assertEqual(srv.methods_called, ['rpc_get_methods', 'framework_start_init'])

    def test_load_config_unknown_method(self):
        srv = self.startup_server()
        config = {'subsystems': [{'subsystem': 'bdev', 'config': [{'method': 'bdev_bogus', 'params': {}}]}]}
        r = self.rpc('load_config', srv=srv, stdin=json.dumps(config))
        self.assertEqual(r.returncode, 1)
        self.assertEqual(r.stdout, 'Unknown method was included in the config file\n')
        self.assertEqual(srv.methods_called, ['rpc_get_methods'])

    def test_load_config_rpc_error_aborts(self):
        srv = self.startup_server()
        srv.on('bdev_malloc_create', error=(-17, 'File exists'), mask=RUNTIME)
        srv.state = RUNTIME
        config = {'subsystems': [{'subsystem': 'bdev', 'config': self.CONFIGS['bdev'][1:] * 2}]}
        r = self.rpc('load_config', srv=srv, stdin=json.dumps(config))
        self.assertEqual(r.returncode, 1)
        self.assertIn('"message": "File exists"', r.stdout)
        self.assertEqual(srv.methods_called.count('bdev_malloc_create'), 1)

    def test_load_config_nested_array_is_sent_as_batch(self):
        srv = self.startup_server()
        srv.state = RUNTIME
        batch = [{'method': 'bdev_malloc_create', 'params': {'name': 'A', 'num_blocks': 8, 'block_size': 512}},
                 {'method': 'nvmf_create_transport', 'params': {'trtype': 'TCP'}}]
        config = {'subsystems': [{'subsystem': 'bdev', 'config': [batch]}]}
        r = self.rpc('load_config', srv=srv, stdin=json.dumps(config))
        self.assertEqual((r.returncode, r.stdout), (0, ''))
        batches = [q for q in srv.requests if isinstance(q, list)]
        self.assertEqual(len(batches), 1)
        self.assertEqual([(q['method'], q['params']) for q in batches[0]],
                         [(b['method'], b['params']) for b in batch])

    def test_load_subsystem_config(self):
        srv = self.startup_server()
        srv.state = RUNTIME
        cfg = {'subsystem': 'bdev', 'config': self.CONFIGS['bdev']}
        r = self.rpc('load_subsystem_config', srv=srv, stdin=json.dumps(cfg))
        self.assertEqual(r.returncode, 0, r.stdout)
        self.assertEqual(r.stdout, 'Some configs were skipped because they cannot be called in the current RPC state.\n')
        self.assertEqual(srv.methods_called, ['rpc_get_methods', 'rpc_get_methods', 'bdev_malloc_create'])
        self.assertNotIn('params', srv.flat_requests()[0])


if __name__ == '__main__':
    unittest.main()


class VirtioCommandTests(RpcPyTestCase):
    """vfu_tgt / vfu_virtio commands: SPDK's CLI and parameters (python/spdk/rpc/vfio_user.py)."""

    def dry(self, *args):
        code, out, err = run_in_process('--dry-run', *args)
        self.assertEqual(code, 0, out + err)
        return json.loads(out[len('Request:\n'):])

    def test_create_blk_endpoint_sends_only_given_options(self):
        self.assertEqual(self.dry('vfu_virtio_create_blk_endpoint', 'vfu.blk0', '--bdev-name', 'Malloc0')['params'],
                         {'name': 'vfu.blk0', 'bdev_name': 'Malloc0'})
        self.assertEqual(self.dry('vfu_virtio_create_blk_endpoint', 'vfu.blk0', '--bdev-name', 'Malloc0',
                                  '--cpumask', '0x1', '--num-queues', '2', '--qsize', '256', '--packed-ring')['params'],
                         {'name': 'vfu.blk0', 'bdev_name': 'Malloc0', 'cpumask': '0x1', 'num_queues': 2,
                          'qsize': 256, 'packed_ring': True})

    def test_create_blk_endpoint_requires_bdev_name(self):
        code, _, err = run_in_process('--dry-run', 'vfu_virtio_create_blk_endpoint', 'vfu.blk0')
        self.assertEqual(code, 2)
        self.assertIn('--bdev-name', err)

    def test_base_path_delete_and_get(self):
        self.assertEqual(self.dry('vfu_tgt_set_base_path', '/var/run/vfu')['params'], {'path': '/var/run/vfu'})
        self.assertEqual(self.dry('vfu_virtio_delete_endpoint', 'vfu.blk0')['params'], {'name': 'vfu.blk0'})
        self.assertFalse(self.dry('vfu_virtio_get_endpoints').get('params'))
        self.assertEqual(self.dry('vfu_virtio_get_endpoints', '-n', 'vfu.blk0')['params'], {'name': 'vfu.blk0'})

    def test_results_and_errors(self):
        srv = self.server()
        srv.on('vfu_virtio_create_blk_endpoint', True)
        srv.on('vfu_virtio_get_endpoints', [{'name': 'vfu.blk0', 'bdev_name': 'Malloc0'}])
        srv.on('vfu_virtio_delete_endpoint', error=(-32602, 'No such file or directory'))
        r = self.rpc('vfu_virtio_create_blk_endpoint', 'vfu.blk0', '--bdev-name', 'Malloc0', srv=srv)
        self.assertEqual((r.returncode, r.stdout), (0, ''))
        r = self.rpc('vfu_virtio_get_endpoints', srv=srv)
        self.assertEqual(json.loads(r.stdout), [{'name': 'vfu.blk0', 'bdev_name': 'Malloc0'}])
        r = self.rpc('vfu_virtio_delete_endpoint', 'nope', srv=srv)
        self.assertEqual(r.returncode, 1)
        self.assertIn('"message": "No such file or directory"', r.stdout)
