// Attaching nvme_perf to its -r targets: per transport type, connect the controller, pick the
// namespaces (ns:N or all active), check I/O size against block size and MDTS, create -P I/O
// qpairs per namespace per worker and hand them to the workers (spdk_nvme_perf's
// register_controllers / associate_workers_with_ns). NVMe/TCP goes through Target.Initiator;
// VFIOUSER through the NvmeOverVfioUser driver, whose I/O queues all exist once it is connected.
using Target.Initiator;
using Target.Initiator.Virtio;
using Target.Initiator.VfioUser;

namespace Target.Perf;

public static class PerfAttach
{
    public static IDisposable Tcp(TransportId target, PerfOptions options, List<PerfWorker> workers, int perQpairDepth)
    {
        var hostOptions = new TcpHostOptions
        {
            Address = target.TrAddr,
            Port = target.Port,
            SubNqn = target.SubNqn,
            HostNqn = options.HostNqn.Length != 0 ? options.HostNqn : target.HostNqn,
            HeaderDigest = options.HeaderDigest,
            DataDigest = options.DataDigest,
            IoQueues = 0,
            QueueDepth = perQpairDepth,
        };
        // Number of Queues asks for enough qpairs for up to 32 namespaces; checked once they are known.
        hostOptions.IoQueues = Math.Min(65535, 32 * workers.Count * options.QpairsPerNamespace);
        var ctrl = NvmeController.ConnectWithoutIoQpairs(hostOptions);
        try
        {
            Console.WriteLine("Attached to NVMe over Fabrics controller at " + target.TrAddr + ":" + target.TrSvcId + ": " + target.SubNqn);
            var namespaces = new List<NamespaceInfo>();
            foreach (var ns in ctrl.Namespaces)
                if (target.Nsid == 0 || ns.Nsid == target.Nsid) namespaces.Add(ns);
            if (namespaces.Count == 0) throw new InvalidOperationException("no active namespace on " + target);
            int needed = namespaces.Count * workers.Count * options.QpairsPerNamespace;
            if (ctrl.GrantedIoQueues < needed)
                throw new InvalidOperationException("target granted " + ctrl.GrantedIoQueues + " I/O queues, " + needed + " needed");
            foreach (var ns in namespaces)
            {
                CheckIoSize(options, ns, ctrl.MaxTransferSize);
                foreach (var worker in workers)
                {
                    var qpairs = new PerfQpair[options.QpairsPerNamespace];
                    for (int i = 0; i < qpairs.Length; i++) qpairs[i] = new TcpPerfQpair(ctrl.CreateIoQpair(perQpairDepth));
                    Associate(target, options, worker, ns, qpairs, ctrl.MaxQueueEntries);
                }
            }
            return ctrl;
        }
        catch
        {
            ctrl.Dispose();
            throw;
        }
    }

    public static IDisposable VfioUser(TransportId target, PerfOptions options, List<PerfWorker> workers, int perQpairDepth)
    {
        int nsCount = 1;
        if (target.Nsid == 0)
        {
            // The driver creates every I/O queue when it connects: learn the namespace count first.
            using var probe = NvmeOverVfioUser.Connect(target.TrAddr, new VfioUserHostOptions { IoQueues = 0, DataBufferBytes = 0 });
            nsCount = Math.Max(1, probe.Namespaces.Count);
        }
        int queues = nsCount * workers.Count * options.QpairsPerNamespace;
        ulong buffer = ((ulong)options.IoSize + 4095) & ~4095UL;
        var hostOptions = new VfioUserHostOptions
        {
            IoQueues = queues,
            QueueDepth = perQpairDepth,
            DataBufferBytes = (ulong)queues * (ulong)perQpairDepth * buffer + (1 << 20),
        };
        var ctrl = NvmeOverVfioUser.Connect(target.TrAddr, hostOptions);
        try
        {
            Console.WriteLine("Attached to NVMe over vfio-user controller at " + target.TrAddr + (target.SubNqn.Length != 0 ? ": " + target.SubNqn : "")
                + (ctrl.Doorbells != 0 ? " (doorbell page mapped)" : ctrl.ShadowDoorbellsEnabled ? " (doorbells trapped; shadow doorbells + EventIdx)" : " (doorbells trapped)"));
            var namespaces = new List<NamespaceInfo>();
            foreach (NamespaceInfo ns in ctrl.Namespaces)
                if (target.Nsid == 0 || ns.Nsid == target.Nsid) namespaces.Add(ns);
            if (namespaces.Count == 0) throw new InvalidOperationException("no active namespace on " + target);
            int needed = namespaces.Count * workers.Count * options.QpairsPerNamespace;
            if (ctrl.IoQueueCount < needed)
                throw new InvalidOperationException("target granted " + ctrl.GrantedIoQueues + " I/O queues, " + needed + " needed");
            int next = 0;
            foreach (var ns in namespaces)
            {
                CheckIoSize(options, ns, ctrl.MaxTransferSize);
                foreach (var worker in workers)
                {
                    var qpairs = new PerfQpair[options.QpairsPerNamespace];
                    for (int i = 0; i < qpairs.Length; i++) qpairs[i] = new VfioUserPerfQpair(ctrl, ctrl.IoQueue(next++));
                    Associate(target, options, worker, ns, qpairs, ctrl.MaxQueueEntries);
                }
            }
            return ctrl;
        }
        catch
        {
            ctrl.Dispose();
            throw;
        }
    }

    public static IDisposable VirtioBlk(TransportId target, PerfOptions options, List<PerfWorker> workers, int perQpairDepth)
    {
        int queues = workers.Count * options.QpairsPerNamespace;
        ulong buffer = ((ulong)options.IoSize + 4095) & ~4095UL;
        // A request takes three descriptors in a direct chain: ask for a ring three times the depth.
        int ringSize = 256;
        while (ringSize < 3 * perQpairDepth && ringSize < 32768) ringSize *= 2;
        var hostOptions = new VirtioBlkHostOptions
        {
            Queues = queues,
            QueueSize = ringSize,
            DataBufferBytes = (ulong)queues * (ulong)perQpairDepth * buffer + (1 << 20),
        };
        var dev = VirtioBlkOverVfioUser.Connect(target.TrAddr, hostOptions);
        try
        {
            Console.WriteLine("Attached to virtio-blk over vfio-user device at " + target.TrAddr + " (features " +
                VirtioFeatures.Describe(dev.NegotiatedFeatures) + ", " + dev.QueueCount + " queue(s) of " + dev.Queue(0).Size + ")");
            if (dev.QueueCount < queues)
                throw new InvalidOperationException("device has " + dev.QueueCount + " request queue(s), " + queues + " needed");
            var disk = new NamespaceInfo(1, (int)dev.Config.BlockSize, dev.Config.BlockCount);
            CheckIoSize(options, disk, dev.Config.SizeMax == 0 ? 0 : (int)Math.Min(int.MaxValue, dev.Config.SizeMax));
            int next = 0;
            foreach (var worker in workers)
            {
                var qpairs = new PerfQpair[options.QpairsPerNamespace];
                for (int i = 0; i < qpairs.Length; i++) qpairs[i] = new VirtioBlkPerfQpair(dev, dev.Queue(next++));
                Associate(target, options, worker, disk, qpairs, qpairs[0].Depth + 1);
            }
            return dev;
        }
        catch
        {
            dev.Dispose();
            throw;
        }
    }

    private static void CheckIoSize(PerfOptions options, NamespaceInfo ns, int maxTransfer)
    {
        if (options.IoSize % ns.BlockSize != 0)
            throw new InvalidOperationException("I/O size " + options.IoSize + " is not a multiple of NSID " + ns.Nsid + "'s block size " + ns.BlockSize);
        if (maxTransfer != 0 && options.IoSize > maxTransfer)
            throw new InvalidOperationException("I/O size " + options.IoSize + " exceeds the controller's MDTS (" + maxTransfer + " bytes)");
    }

    private static void Associate(TransportId target, PerfOptions options, PerfWorker worker, NamespaceInfo ns, PerfQpair[] qpairs, int maxQueueEntries)
    {
        string label = target + " NSID " + ns.Nsid;
        int tasks = worker.AddNamespace(new PerfNamespace(label, target, ns, qpairs, options.IoSize), options.QueueDepth);
        if (tasks < options.QueueDepth)
            Console.WriteLine("WARNING: " + label + ": queue depth " + options.QueueDepth + " limited to " + tasks +
                " by the controller's queue size (CAP.MQES " + (maxQueueEntries - 1) + "); use -P to add qpairs");
        Console.WriteLine("Associating " + label + " with lcore " + worker.Core);
    }
}
