"""scripts/rpc.py CLI of the virtio-scsi vfio-user methods, as SPDK's: the params sent, the
optional ones left out when 0/empty, required options, the error print.

Run: python3 -m unittest discover -s tests/rpcpy
"""

import os
import sys
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from test_rpc_py import RpcPyTestCase  # noqa: E402


class VfuVirtioScsiCliTests(RpcPyTestCase):
    def test_create_scsi_endpoint_sends_only_given_options(self):
        srv = self.server()
        srv.on('vfu_virtio_create_scsi_endpoint', True)
        r = self.rpc('vfu_virtio_create_scsi_endpoint', 'vfu.scsi0', srv=srv)
        self.assertEqual((r.returncode, r.stdout), (0, ''), r.stderr)
        r = self.rpc('vfu_virtio_create_scsi_endpoint', 'vfu.scsi1', '--cpumask', '0x1', '--num-io-queues', '2',
                     '--qsize', '256', '--packed-ring', srv=srv)
        self.assertEqual((r.returncode, r.stdout), (0, ''), r.stderr)
        self.assertEqual([q['params'] for q in srv.flat_requests()],
                         [{'name': 'vfu.scsi0'},
                          {'name': 'vfu.scsi1', 'cpumask': '0x1', 'num_io_queues': 2, 'qsize': 256,
                           'packed_ring': True}])

    def test_add_and_remove_target(self):
        srv = self.server()
        srv.on('vfu_virtio_scsi_add_target', True)
        srv.on('vfu_virtio_scsi_remove_target', True)
        r = self.rpc('vfu_virtio_scsi_add_target', 'vfu.scsi0', '--scsi-target-num', '0', '--bdev-name', 'Malloc1',
                     srv=srv)
        self.assertEqual((r.returncode, r.stdout), (0, ''), r.stderr)
        r = self.rpc('vfu_virtio_scsi_remove_target', 'vfu.scsi0', '--scsi-target-num', '0', srv=srv)
        self.assertEqual((r.returncode, r.stdout), (0, ''), r.stderr)
        reqs = srv.flat_requests()
        self.assertEqual([q['method'] for q in reqs], ['vfu_virtio_scsi_add_target', 'vfu_virtio_scsi_remove_target'])
        self.assertEqual(reqs[0]['params'], {'name': 'vfu.scsi0', 'scsi_target_num': 0, 'bdev_name': 'Malloc1'})
        self.assertEqual(reqs[1]['params'], {'name': 'vfu.scsi0', 'scsi_target_num': 0})

    def test_target_options_are_required(self):
        for argv in (('vfu_virtio_scsi_add_target', 'vfu.scsi0', '--bdev-name', 'Malloc1'),
                     ('vfu_virtio_scsi_add_target', 'vfu.scsi0', '--scsi-target-num', '0'),
                     ('vfu_virtio_scsi_remove_target', 'vfu.scsi0'),
                     ('vfu_virtio_scsi_add_target', 'vfu.scsi0', '--scsi-target-num', 'x', '--bdev-name', 'M')):
            r = self.rpc(*argv)
            self.assertEqual(r.returncode, 2, argv)

    def test_error_reply_is_printed_with_exit_1(self):
        srv = self.server()
        srv.on('vfu_virtio_scsi_add_target', error=(-32602, 'File exists'))
        r = self.rpc('vfu_virtio_scsi_add_target', 'vfu.scsi0', '--scsi-target-num', '1', '--bdev-name', 'M0', srv=srv)
        self.assertEqual(r.returncode, 1)
        self.assertIn('Got JSON-RPC error response', r.stdout)
        self.assertIn('"message": "File exists"', r.stdout)


if __name__ == '__main__':
    unittest.main()
