// Test harness: a TestDevice behind an Endpoint on a real reactor (core 0), in a private temp
// directory that is removed on Dispose even when the test failed.
using Target.Core.Reactors;
using Target.Initiator.VfioUser;
using Target.Core.Interop;
using Target.VfioUser.Server;

namespace VfioUser.Tests.Server;

public sealed unsafe class EndpointHarness : IDisposable
{
    private readonly List<VfioUserClient> _clients = new();

    public EndpointHarness(EndpointOptions? options = null)
    {
        Directory = Path.Combine(Path.GetTempPath(), "vfu-" + Guid.NewGuid().ToString("N")[..12]);
        System.IO.Directory.CreateDirectory(Directory);
        SocketPath = Path.Combine(Directory, "cntrl");
        Reactors = new ReactorSet(new[] { 0 });
        Reactors.Start();
        Device = new TestDevice();
        Endpoint = new Endpoint(SocketPath, Device, options);
        Endpoint.Start(Reactors.Main);
    }

    public string Directory { get; }
    public string SocketPath { get; }
    public ReactorSet Reactors { get; }
    public TestDevice Device { get; }
    public Endpoint Endpoint { get; }

    /// <summary>A connected client; negotiated unless told otherwise. Disposed with the harness.</summary>
    public VfioUserClient Connect(bool negotiate = true)
    {
        var c = VfioUserClient.Connect(SocketPath, timeoutMs: 5000);
        _clients.Add(c);
        if (negotiate) c.Negotiate();
        return c;
    }

    /// <summary>Runs <paramref name="fn"/> on the endpoint's reactor and waits for it.</summary>
    public T OnReactor<T>(Func<T> fn) => Result(Reactors.Main.InvokeAsync(fn));

    /// <summary>Waits (up to 5 s) for a task's result.</summary>
    public static T Result<T>(Task<T> task)
    {
        if (!task.Wait(TimeSpan.FromSeconds(5))) throw new TimeoutException("task did not complete");
        return task.Result;
    }

    /// <summary>Waits (up to 5 s) for a condition the reactor makes true.</summary>
    public static void WaitFor(Func<bool> condition, string what)
    {
        var deadline = DateTime.UtcNow.AddSeconds(5);
        while (!condition())
        {
            if (DateTime.UtcNow > deadline) throw new TimeoutException("timed out waiting for " + what);
            Thread.Sleep(2);
        }
    }

    public static int NewEventFd() => Libc.EventFd(0, 0x80000 | 0x800);

    /// <summary>A pipe: send the write end to the server, close ours, then IsClosedByPeer tells whether the server closed its copy.</summary>
    public static (int Read, int Write) NewPipe()
    {
        int* fds = stackalloc int[2];
        if (Libc.Pipe2(fds, 0x80000 | 0x800) != 0) throw new IOException("pipe2");
        return (fds[0], fds[1]);
    }

    /// <summary>True when every write end of the pipe is closed (read returns EOF) within 2 s.</summary>
    public static bool IsClosedByPeer(int readFd)
    {
        var pfd = new Libc.PollFd { Fd = readFd, Events = Libc.POLLIN };
        if (Libc.Poll(&pfd, 1, 2000) <= 0) return false;
        byte b;
        return Libc.Read(readFd, &b, 1) == 0;
    }

    public static ulong ReadEventFd(int fd)
    {
        var pfd = new Libc.PollFd { Fd = fd, Events = Libc.POLLIN };
        if (Libc.Poll(&pfd, 1, 2000) <= 0) return 0;
        ulong v;
        return Libc.Read(fd, &v, 8) == 8 ? v : 0;
    }

    public void Dispose()
    {
        foreach (var c in _clients) c.Dispose();
        try { Endpoint.Stop(); }
        finally
        {
            Reactors.StopAsync().Wait(TimeSpan.FromSeconds(10));
            Device.Dispose();
            try { System.IO.Directory.Delete(Directory, recursive: true); } catch (IOException) { }
        }
    }
}
