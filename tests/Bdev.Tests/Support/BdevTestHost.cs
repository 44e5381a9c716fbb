// Test host: a started ReactorSet, a BdevRegistry with the null/malloc/aio modules and their RPC
// methods on a TestRpcRegistry, plus helpers that submit I/O on a reactor and await completion.
using Target.Bdev;
using Target.Bdev.Modules.Aio;
using Target.Bdev.Modules.Malloc;
using Target.Bdev.Modules.Null;
using Target.Bdev.Rpc;
using Target.Core.Memory;
using Target.Core.Reactors;

namespace Target.Bdev.Tests.Support;

public sealed class BdevTestHost : IAsyncDisposable
{
    public BdevTestHost(params int[] cores)
    {
        Reactors = new ReactorSet(cores.Length == 0 ? new[] { 0 } : cores);
        Reactors.Start();
        Registry = new BdevRegistry(Reactors);
        Null = new NullBdevModule(Registry);
        Malloc = new MallocBdevModule(Registry);
        Aio = new AioBdevModule(Registry);
        new BdevRpc(Registry).Register(Rpc);
        new NullBdevRpc(Registry, Null).Register(Rpc);
        new MallocBdevRpc(Registry, Malloc).Register(Rpc);
        new AioBdevRpc(Registry, Aio).Register(Rpc);
    }

    public ReactorSet Reactors { get; }
    public BdevRegistry Registry { get; }
    public NullBdevModule Null { get; }
    public MallocBdevModule Malloc { get; }
    public AioBdevModule Aio { get; }
    public TestRpcRegistry Rpc { get; } = new();

    public Task<T> OnMain<T>(Func<T> fn) => Reactors.Main.InvokeAsync(fn);

    public async Task<BdevDesc> OpenAsync(string name, bool write = true, BdevEventHandler? onEvent = null)
    {
        return await OnMain(() =>
        {
            int rc = Registry.Open(name, write, onEvent, null, out var desc);
            Assert.Equal(0, rc);
            return desc!;
        });
    }

    /// <summary>Submits one I/O on reactor <paramref name="reactor"/> and waits for its status.</summary>
    public async Task<BdevIoStatus> IoAsync(BdevDesc desc, BdevIoType type, ulong offset, ulong blocks, IoVec[] data, int reactor = 0)
    {
        var waiter = new Waiter();
        int rc = await Reactors[reactor].InvokeAsync(() =>
        {
            int r = desc.Submit(desc.GetChannel(), type, offset, blocks, data, waiter, null);
            waiter.ReturnedFromSubmit = true;
            return r;
        });
        Assert.Equal(0, rc);
        var status = await waiter.Task.WaitAsync(TimeSpan.FromSeconds(10));
        Assert.False(waiter.CompletedInline, "completion ran on the submit stack");
        return status;
    }

    public ValueTask DisposeAsync() => Reactors.DisposeAsync();

    public sealed class Waiter : IBdevIoCompletion
    {
        private readonly TaskCompletionSource<BdevIoStatus> _tcs = new(TaskCreationOptions.RunContinuationsAsynchronously);
        public volatile bool ReturnedFromSubmit;
        public bool CompletedInline;
        public Task<BdevIoStatus> Task => _tcs.Task;

        public void OnBdevIoComplete(BdevIoStatus status, object? context)
        {
            if (!ReturnedFromSubmit) CompletedInline = true;
            _tcs.TrySetResult(status);
        }
    }
}
