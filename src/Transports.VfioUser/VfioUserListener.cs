// One VFIOUSER listen address (SPDK struct nvmf_vfio_user_endpoint; vfio-user.md §3.1): traddr is
// an existing directory; DIR/cntrl is the vfio-user socket and DIR/bar0 the doorbell backing file
// — created, unlinked at once, sized to 0x2000 and mapped shared; its fd is the sparse-mmap fd of
// the BAR0 doorbell page, so guest doorbell writes land in our mapping without a message.
using Microsoft.Win32.SafeHandles;
using Target.Core.Nvmf;
using Target.Core.Reactors;
using Target.Transports.VfioUser.Nvme;
using Target.Core.Interop;
using Target.VfioUser.Server;

namespace Target.Transports.VfioUser;

internal sealed unsafe class VfioUserListener : ITransportListener
{
    public const string SocketName = "cntrl";
    public const string Bar0Name = "bar0";
    private const int Bar0FileSize = 0x2000;

    private readonly SafeFileHandle _bar0File;
    private void* _bar0Map;

    private VfioUserListener(ListenAddress address, SafeFileHandle bar0File, void* bar0Map, PcieController controller, NvmeDevice device, Endpoint endpoint)
    {
        Address = address;
        _bar0File = bar0File;
        _bar0Map = bar0Map;
        Controller = controller;
        Device = device;
        Endpoint = endpoint;
    }

    public ListenAddress Address { get; }
    public PcieController Controller { get; }
    public NvmeDevice Device { get; }
    public Endpoint Endpoint { get; }
    public string SocketPath => Endpoint.SocketPath;

    /// <summary>Creates the files and starts the endpoint on <paramref name="reactor"/>. Throws on failure.</summary>
    public static VfioUserListener Open(VfioUserTransport transport, ListenAddress address, Reactor reactor)
    {
        string dir = address.Traddr;
        // SPDK wants the folder to exist; creating a missing one (its parent must exist) lets a saved
        // config start on a fresh boot where /var/run folders are gone.
        if (!Directory.Exists(dir))
        {
            string? parent = Path.GetDirectoryName(Path.GetFullPath(dir));
            if (parent is null || !Directory.Exists(parent) || File.Exists(dir))
                throw new DirectoryNotFoundException("vfio-user traddr " + dir + " is not a directory");
            Directory.CreateDirectory(dir);
            Serilog.Log.Information("vfio-user: created listener folder {Dir}", dir);
        }
        string bar0Path = Path.Combine(dir, Bar0Name);
        var file = File.OpenHandle(bar0Path, FileMode.Create, FileAccess.ReadWrite, FileShare.ReadWrite);
        void* map = null;
        try
        {
            File.Delete(bar0Path);
            RandomAccess.SetLength(file, Bar0FileSize);
            int fd = (int)file.DangerousGetHandle();
            map = Libc.Mmap(null, Bar0FileSize, Libc.PROT_READ | Libc.PROT_WRITE, Libc.MAP_SHARED, fd, 0);
            if (Libc.MapFailed(map)) throw new IOException("mmap of " + bar0Path + " failed: errno " + Errno.Last);
            var doorbells = new Doorbells((nint)map + (nint)NvmeDevice.DoorbellOffset);
            doorbells.Clear();
            var controller = new PcieController(transport, address, doorbells);
            var device = new NvmeDevice(controller, fd, !transport.VfuOptions.DisableMappableBar0);
            var endpoint = new Endpoint(Path.Combine(dir, SocketName), device);
            endpoint.Start(reactor);
            return new VfioUserListener(address, file, map, controller, device, endpoint);
        }
        catch
        {
            if (map is not null && !Libc.MapFailed(map)) Libc.Munmap(map, Bar0FileSize);
            file.Dispose();
            throw;
        }
    }

    public void Dispose()
    {
        try { Endpoint.Stop(); }
        catch (Exception e) { Serilog.Log.Warning("vfio-user: stopping {Path} failed: {Error}", SocketPath, e.Message); }
        try { if (File.Exists(SocketPath)) File.Delete(SocketPath); } catch (IOException) { }
        // The mapping stays: qpairs still closing on other reactors may read the doorbells.
        // It is tiny (8 KiB) and released with the process; the fd is closed now.
        _bar0File.Dispose();
    }
}
