// The transport plugin seam (SPDK include/spdk/nvmf_transport.h, spdk_nvmf_transport_ops): TCP and
// VFIOUSER implement it (through TransportBase, which holds what every transport repeats); the
// core never names a concrete transport. Control-path members run on
// the main reactor (or a test thread); CreatePollGroup runs on the poll group's own reactor.
//
// Life of a connection, as the core expects it:
//   1. The transport accepts a connection (its own acceptor poller), creates its Qpair subclass
//      and calls NvmfTarget.AddQpair(qpair). The core picks a PollGroup round-robin and, on that
//      group's reactor, calls ITransportPollGroup.AddQpair(qpair); from then on the qpair is
//      touched only on that reactor.
//   2. For every command the transport fills a pooled Request (SQE copy, data segments: the
//      in-capsule/H2C data for writes, or an empty buffer of the SGL length for reads) and calls
//      qpair.Execute(request). The first command must be a fabrics Connect; the core rejects
//      anything else.
//   3. The core calls qpair.CompleteRequest(request) exactly once, on the qpair's reactor, with
//      the CQE filled (CID, SQID, SQHD, status, DW0/DW1) and, for controller-to-host commands,
//      request.DataLength bytes to send (send data only when the status is success).
//   4. When the core wants the connection gone (keep-alive expiry, controller reset/shutdown,
//      subsystem deletion) it calls qpair.Disconnect(), which calls the transport's
//      CloseConnection. When the connection is closed — for that reason or because the host went
//      away — the transport calls qpair.Closed() once; requests the core still holds (AERs) are
//      dropped without completion, backend I/O in flight still completes into CompleteRequest,
//      which the transport must tolerate after close (free the request, send nothing).
using System.Text.Json.Nodes;
using Target.Core.Nvme.Spec;

namespace Target.Core.Nvmf;

public interface ITransport
{
    /// <summary>Upper-case transport name ("TCP", "VFIOUSER"), the trtype of RPCs and listen addresses.</summary>
    string Name { get; }

    TransportOptions Options { get; }

    /// <summary>
    /// Starts accepting on <paramref name="address"/> and returns the address it listens on: the
    /// same one, except where the transport resolves a wildcard (TCP trsvcid "0" = any free port,
    /// our extension of SPDK). Throws on failure (bind error, bad address).
    /// </summary>
    Task<ListenAddress> ListenAsync(ListenAddress address);

    /// <summary>Stops accepting on <paramref name="address"/>; existing connections stay. Throws if not listening.</summary>
    Task StopListenAsync(ListenAddress address);

    /// <summary>Called on <paramref name="group"/>'s reactor once per poll group; the transport registers its pollers there.</summary>
    ITransportPollGroup CreatePollGroup(PollGroup group);

    /// <summary>The nvmf_get_transports object (also save_config's nvmf_create_transport params); see TransportOptions.ToJson.</summary>
    JsonObject DumpOptions();

    /// <summary>Stops every listener and releases the transport (target shutdown).</summary>
    Task DestroyAsync();

    /// <summary>
    /// Called by the core's Identify handler after it filled Identify Controller for
    /// <paramref name="controller"/> (a controller of this transport), before the data is copied
    /// to the host: a transport changes what differs on it (SPDK's cdata_init: e.g. PCI vendor ids,
    /// SGL support, no fabrics capsule sizes on PCIe). On the controller's reactor.
    /// </summary>
    void AdjustIdentifyController(ref IdentifyController cdata, Controller controller) { }
}
