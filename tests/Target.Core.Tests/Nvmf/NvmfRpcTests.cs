using System.Text.Json.Nodes;
using Target.Core.Nvmf;
using Target.Core.Nvmf.Rpc;

namespace Target.Core.Tests.Nvmf;

public class NvmfRpcTests
{
    private readonly RamResolver _resolver = new();
    private readonly NvmfTarget _target;
    private readonly FakeRegistry _rpc = new();

    public NvmfRpcTests()
    {
        var reg = new TransportRegistry();
        reg.Register(new FakeTransportFactory());
        _target = new NvmfTarget(null, reg, _resolver);
        _resolver.Bdevs.Add("Malloc0", new RamBackend("Malloc0", 512, 128));
        new NvmfTransportRpc(_target).Register(_rpc);
        new NvmfSubsystemRpc(_target).Register(_rpc);
        new NvmfNamespaceRpc(_target).Register(_rpc);
        new NvmfListenerRpc(_target).Register(_rpc);
        new NvmfStatsRpc(_target).Register(_rpc);
        new NvmfTargetRpc(_target).Register(_rpc);
        new NvmfRpcAliases().Register(_rpc);
    }

    private const string Nqn = "nqn.2016-06.io.spdk:cnode1";

    [Fact]
    public async Task TransportCreateAndGet()
    {
        Assert.Equal(-32602, (await _rpc.Fails("nvmf_create_transport", """{"trtype":"FOO"}""")).Code);
        Assert.Equal("Invalid transport type 'FOO'", (await _rpc.Fails("nvmf_create_transport", """{"trtype":"FOO"}""")).Message);
        Assert.Equal("Invalid parameters", (await _rpc.Fails("nvmf_create_transport", """{"trtype":"tcp","max_queue_depth":"x"}""")).Message);
        Assert.True((bool)(await _rpc.Call("nvmf_create_transport", """{"trtype":"tcp","io_unit_size":8192,"c2h_success":false}"""))!);
        var dup = await _rpc.Fails("nvmf_create_transport", """{"trtype":"tcp"}""");
        Assert.Equal(-32603, dup.Code);
        Assert.Equal("Transport type 'TCP' already exists", dup.Message);
        var list = (JsonArray)(await _rpc.Call("nvmf_get_transports", null))!;
        Assert.Equal("TCP", (string)list[0]!["trtype"]!);
        Assert.Equal(8192u, (uint)list[0]!["io_unit_size"]!);
        Assert.Equal(127, (ushort)list[0]!["max_io_qpairs_per_ctrlr"]!);
        var missing = await _rpc.Fails("nvmf_get_transports", """{"trtype":"RDMA"}""");
        Assert.Equal(-19, missing.Code);
        Assert.Equal("No such device", missing.Message);
    }

    [Fact]
    public async Task CreateSubsystemErrors()
    {
        Assert.StartsWith("Unable to find target", (await _rpc.Fails("nvmf_create_subsystem", """{"nqn":"nqn.2016-06.io.spdk:cnode9","tgt_name":"foobar"}""")).Message);
        var sn = await _rpc.Fails("nvmf_create_subsystem", """{"nqn":"nqn.2016-06.io.spdk:cnode9","serial_number":"SPDKISFASTANDAWESOME1"}""");
        Assert.Equal((-32602, "Invalid SN SPDKISFASTANDAWESOME1"), (sn.Code, sn.Message));
        var mn = await _rpc.Fails("nvmf_create_subsystem", """{"nqn":"nqn.2016-06.io.spdk:cnode9","model_number":"SPDK_Controller\u001f"}""");
        Assert.Equal(-32602, mn.Code);
        Assert.StartsWith("Invalid MN", mn.Message);
        var bad = await _rpc.Fails("nvmf_create_subsystem", """{"nqn":"nqn.bad"}""");
        Assert.Equal((-32603, "Unable to create subsystem nqn.bad"), (bad.Code, bad.Message));
        foreach (var (min, max) in new[] { (0, 65519), (65520, 65519), (1, 0), (1, 65520), (6, 5) })
        {
            var e = await _rpc.Fails("nvmf_create_subsystem", $$$"""{"nqn":"nqn.2016-06.io.spdk:cnode9","min_cntlid":{{{min}}},"max_cntlid":{{{max}}}}""");
            Assert.Equal((-32602, $"Invalid cntlid range [{min}-{max}]"), (e.Code, e.Message));
        }
        // Nothing was left behind by the failures.
        Assert.True((bool)(await _rpc.Call("nvmf_create_subsystem", """{"nqn":"nqn.2016-06.io.spdk:cnode9"}"""))!);
        var dup = await _rpc.Fails("nvmf_create_subsystem", """{"nqn":"nqn.2016-06.io.spdk:cnode9"}""");
        Assert.Equal("Unable to create subsystem nqn.2016-06.io.spdk:cnode9", dup.Message);
        Assert.Equal("Invalid parameters", (await _rpc.Fails("nvmf_create_subsystem", """{"nqn":"nqn.2016-06.io.spdk:cnode8","bogus":1}""")).Message);
        var del = await _rpc.Fails("nvmf_delete_subsystem", """{"nqn":"nqn.2016-06.io.spdk:nothere"}""");
        Assert.Equal((-32602, "Invalid parameters"), (del.Code, del.Message));
        var get = await _rpc.Fails("nvmf_get_subsystems", """{"nqn":"nqn.2016-06.io.spdk:nothere"}""");
        Assert.Equal((-19, "No such device"), (get.Code, get.Message));
    }

    [Fact]
    public async Task FullProvisioningFlowAndConfig()
    {
        await _rpc.Call("nvmf_create_transport", """{"trtype":"TCP"}""");
        await _rpc.Call("nvmf_create_subsystem", $$$"""{"nqn":"{{{Nqn}}}","serial_number":"SPDK001","allow_any_host":false}""");
        Assert.Equal(1u, (uint)(await _rpc.Call("nvmf_subsystem_add_ns", $$$"""{"nqn":"{{{Nqn}}}","namespace":{"bdev_name":"Malloc0","nguid":"000102030405060708090A0B0C0D0E0F"}}"""))!);
        Assert.Equal("Invalid parameters", (await _rpc.Fails("nvmf_subsystem_add_ns", $$$"""{"nqn":"{{{Nqn}}}","namespace":{"bdev_name":"Nope"}}""")).Message);
        Assert.Equal("Invalid parameters", (await _rpc.Fails("nvmf_subsystem_add_ns", $$$"""{"nqn":"{{{Nqn}}}","namespace":{"bdev_name":"Malloc0","nguid":"zz"}}""")).Message);
        Assert.Equal("Subsystem with NQN 'nqn.2016-06.io.spdk:x' not found", (await _rpc.Fails("nvmf_subsystem_add_ns", """{"nqn":"nqn.2016-06.io.spdk:x","namespace":{"bdev_name":"Malloc0"}}""")).Message);
        await _rpc.Call("nvmf_subsystem_add_listener", $$$"""{"nqn":"{{{Nqn}}}","listen_address":{"trtype":"tcp","traddr":"127.0.0.1","trsvcid":"4420","adrfam":"ipv4"}}""");
        Assert.Equal("Invalid parameters", (await _rpc.Fails("nvmf_subsystem_add_listener", $$$"""{"nqn":"{{{Nqn}}}","listen_address":{"trtype":"tcp","traddr":"127.0.0.1","trsvcid":"4420"}}""")).Message);
        Assert.Equal("Invalid parameters", (await _rpc.Fails("nvmf_subsystem_add_listener", $$$"""{"nqn":"{{{Nqn}}}","listen_address":{"trtype":"rdma","traddr":"127.0.0.1","trsvcid":"4420"}}""")).Message);
        var notListening = await _rpc.Fails("nvmf_subsystem_remove_listener", $$$"""{"nqn":"{{{Nqn}}}","listen_address":{"trtype":"tcp","traddr":"127.0.0.1","trsvcid":"4421"}}""");
        Assert.Equal("Invalid parameters", notListening.Message);
        await _rpc.Call("nvmf_subsystem_add_host", $$$"""{"nqn":"{{{Nqn}}}","host":"nqn.2014-08.org.nvmexpress:uuid:11111111-2222-3333-4444-555555555555"}""");
        Assert.Equal((-32603, "Internal error"), await Code(_rpc.Fails("nvmf_subsystem_add_host", $$$"""{"nqn":"{{{Nqn}}}","host":"nqn.2014-08.org.nvmexpress:uuid:11111111-2222-3333-4444-555555555555"}""")));
        await _rpc.Call("nvmf_subsystem_allow_any_host", $$$"""{"nqn":"{{{Nqn}}}","allow_any_host":true}""");

        var subs = (JsonArray)(await _rpc.Call("nvmf_get_subsystems", null))!;
        Assert.Equal(2, subs.Count);
        Assert.Equal("Discovery", (string)subs[0]!["subtype"]!);
        var s = subs[1]!;
        Assert.Equal("SPDK001", (string)s["serial_number"]!);
        Assert.True((bool)s["allow_any_host"]!);
        Assert.Equal("IPv4", (string)s["listen_addresses"]![0]!["adrfam"]!);
        Assert.Equal("Malloc0", (string)s["namespaces"]![0]!["name"]!);
        Assert.Equal("000102030405060708090A0B0C0D0E0F", (string)s["namespaces"]![0]!["nguid"]!);

        var cfg = (await new NvmfConfigSubsystem(_target).WriteConfigAsync())!;
        var methods = cfg.Select(n => (string)n!["method"]!).ToArray();
        Assert.Equal(new[] { "nvmf_set_config", "nvmf_set_max_subsystems", "nvmf_set_crdt", "nvmf_create_transport", "nvmf_create_subsystem",
            "nvmf_subsystem_add_host", "nvmf_subsystem_add_ns", "nvmf_subsystem_add_listener" }, methods);

        var stats = (JsonObject)(await _rpc.Call("nvmf_get_stats", null))!;
        Assert.Equal("nvmf_tgt_poll_group_000", (string)stats["poll_groups"]![0]!["name"]!);
        Assert.Equal("TCP", (string)stats["poll_groups"]![0]!["transports"]![0]!["trtype"]!);
        Assert.Empty((JsonArray)(await _rpc.Call("nvmf_subsystem_get_controllers", $$$"""{"nqn":"{{{Nqn}}}"}"""))!);
        Assert.Empty((JsonArray)(await _rpc.Call("nvmf_subsystem_get_qpairs", $$$"""{"nqn":"{{{Nqn}}}"}"""))!);
        Assert.Single((JsonArray)(await _rpc.Call("nvmf_subsystem_get_listeners", $$$"""{"nqn":"{{{Nqn}}}"}"""))!);

        Assert.Equal("Invalid parameters", (await _rpc.Fails("nvmf_subsystem_remove_ns", $$$"""{"nqn":"{{{Nqn}}}","nsid":5}""")).Message);
        Assert.True((bool)(await _rpc.Call("nvmf_subsystem_remove_ns", $$$"""{"nqn":"{{{Nqn}}}","nsid":1}"""))!);
        Assert.True(_resolver.Bdevs["Malloc0"].Closed);
        Assert.True((bool)(await _rpc.Call("nvmf_subsystem_remove_listener", $$$"""{"nqn":"{{{Nqn}}}","listen_address":{"trtype":"tcp","traddr":"127.0.0.1","trsvcid":"4420"}}"""))!);
        Assert.True((bool)(await _rpc.Call("nvmf_delete_subsystem", $$$"""{"nqn":"{{{Nqn}}}"}"""))!);
        Assert.Single((JsonArray)(await _rpc.Call("nvmf_get_subsystems", null))!);
    }

    private static async Task<(int, string)> Code(Task<Target.Core.Rpc.RpcException> t)
    {
        var e = await t;
        return (e.Code, e.Message);
    }

    [Fact]
    public async Task StartupMethodsAndAliases()
    {
        Assert.Equal(Target.Core.Rpc.RpcState.Startup, _rpc.Methods["nvmf_set_max_subsystems"].State);
        await _rpc.Call("nvmf_set_max_subsystems", """{"max_subsystems":2}""");
        Assert.Equal(2u, _target.MaxSubsystems);
        await _rpc.Call("nvmf_set_crdt", """{"crdt1":5}""");
        Assert.Equal(5, _target.Crdt[0]);
        await _rpc.Call("nvmf_set_config", """{"poll_groups_mask":"0x1"}""");
        Assert.Equal("Invalid parameters", (await _rpc.Fails("nvmf_set_config", """{"nope":1}""")).Message);
        Assert.Equal("nvmf_create_transport", _rpc.Aliases["nvme_create_transport"]);
        Assert.Equal("nvmf_subsystem_add_listener", _rpc.Aliases["nvme_subsystem_add_listener"]);
        Assert.Equal("nvmf_create_subsystem", _rpc.Aliases["nvme_create_subsystem"]);
        Assert.Equal("nvmf_subsystem_add_ns", _rpc.Aliases["nvme_subsystem_add_ns"]);
        foreach (var alias in _rpc.Aliases) Assert.True(_rpc.Methods.ContainsKey(alias.Value), alias.Value);
    }

    [Fact]
    public async Task AnaStateAndListeners()
    {
        await _rpc.Call("nvmf_create_transport", """{"trtype":"TCP"}""");
        await _rpc.Call("nvmf_create_subsystem", $$$"""{"nqn":"{{{Nqn}}}","ana_reporting":true,"max_namespaces":2}""");
        await _rpc.Call("nvmf_subsystem_add_listener", $$$"""{"nqn":"{{{Nqn}}}","listen_address":{"trtype":"tcp","traddr":"127.0.0.1","trsvcid":"4420"},"ana_state":"non_optimized"}""");
        await _rpc.Call("nvmf_subsystem_listener_set_ana_state", $$$"""{"nqn":"{{{Nqn}}}","listen_address":{"trtype":"tcp","traddr":"127.0.0.1","trsvcid":"4420"},"ana_state":"inaccessible","anagrpid":2}""");
        var l = (JsonArray)(await _rpc.Call("nvmf_subsystem_get_listeners", $$$"""{"nqn":"{{{Nqn}}}"}"""))!;
        var states = (JsonArray)l[0]!["ana_states"]!;
        Assert.Equal("non_optimized", (string)states[0]!["ana_state"]!);
        Assert.Equal("inaccessible", (string)states[1]!["ana_state"]!);
        Assert.Equal("Invalid parameters", (await _rpc.Fails("nvmf_subsystem_listener_set_ana_state", $$$"""{"nqn":"{{{Nqn}}}","listen_address":{"trtype":"tcp","traddr":"127.0.0.1","trsvcid":"4420"},"ana_state":"bogus"}""")).Message);
    }
}
