// SPDK's RPC state mask: a method runs only when (mask & state) == state.
namespace Target.Core.Rpc;

[Flags]
public enum RpcState
{
    Startup = 0x1,
    Runtime = 0x2,
    Both = Startup | Runtime,
}
