// The skeleton of nvmf_create_transport every transport repeats (SPDK's transport create + opts
// checks): start from the transport's defaults, read its own keys, validate, refuse with
// ArgumentException ("Transport type 'X' create failed"), then build the transport.
using System.Text.Json;

namespace Target.Core.Nvmf;

public abstract class TransportFactory<TOptions> : ITransportFactory
    where TOptions : ITransportSpecificOptions, new()
{
    public abstract string Name { get; }

    /// <summary>The common defaults before the RPC's keys apply (SPDK opts_init); TCP's unless overridden.</summary>
    public virtual TransportOptions DefaultOptions() => new();

    public ITransport Create(NvmfTarget target, TransportOptions options, JsonElement rawParams)
    {
        var specific = new TOptions();
        if (!specific.TryRead(rawParams, out string? error)) throw new ArgumentException(error);
        error = specific.Validate(options);
        if (error is not null) throw new ArgumentException(error);
        return Create(target, options, specific);
    }

    /// <summary>Builds the transport from validated options. Main reactor.</summary>
    protected abstract ITransport Create(NvmfTarget target, TransportOptions options, TOptions specific);
}
