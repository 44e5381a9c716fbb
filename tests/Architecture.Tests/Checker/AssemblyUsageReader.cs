// Reads an AssemblyUsage from a built assembly with System.Reflection.Metadata (the assembly is
// never loaded, so a fixture assembly named like a production one is harmless).
using System.Reflection;
using System.Reflection.Metadata;
using System.Reflection.PortableExecutable;

namespace Architecture.Tests.Checker;

public static class AssemblyUsageReader
{
    public static AssemblyUsage Read(string path)
    {
        using FileStream stream = File.OpenRead(path);
        return Read(stream);
    }

    public static AssemblyUsage Read(Stream image)
    {
        using var pe = new PEReader(image, PEStreamOptions.PrefetchEntireImage);
        MetadataReader reader = pe.GetMetadataReader();

        var references = new List<string>();
        foreach (AssemblyReferenceHandle h in reader.AssemblyReferences)
            references.Add(reader.GetString(reader.GetAssemblyReference(h).Name));

        var provider = new TypeNameProvider(reader);
        var usages = new Dictionary<string, HashSet<UsedType>>(StringComparer.Ordinal);
        foreach (TypeDefinitionHandle handle in reader.TypeDefinitions)
        {
            TypeDefinition type = reader.GetTypeDefinition(handle);
            string owner = OutermostName(reader, type);
            if (!usages.TryGetValue(owner, out HashSet<UsedType>? sink))
                usages[owner] = sink = [];
            provider.Sink = sink;
            Collect(pe, reader, provider, type);
        }

        var result = new Dictionary<string, IReadOnlySet<UsedType>>(StringComparer.Ordinal);
        foreach ((string owner, HashSet<UsedType> used) in usages)
            if (owner != "<Module>") result[owner] = used;
        return new AssemblyUsage(reader.GetString(reader.GetAssemblyDefinition().Name), references, result);
    }

    private static void Collect(PEReader pe, MetadataReader reader, TypeNameProvider provider, TypeDefinition type)
    {
        if (!type.BaseType.IsNil) provider.Record(type.BaseType);
        foreach (InterfaceImplementationHandle i in type.GetInterfaceImplementations())
            provider.Record(reader.GetInterfaceImplementation(i).Interface);
        RecordAttributes(reader, provider, type.GetCustomAttributes());
        RecordConstraints(reader, provider, type.GetGenericParameters());

        foreach (FieldDefinitionHandle h in type.GetFields())
        {
            FieldDefinition field = reader.GetFieldDefinition(h);
            field.DecodeSignature(provider, null);
            RecordAttributes(reader, provider, field.GetCustomAttributes());
        }
        foreach (PropertyDefinitionHandle h in type.GetProperties())
        {
            PropertyDefinition property = reader.GetPropertyDefinition(h);
            property.DecodeSignature(provider, null);
            RecordAttributes(reader, provider, property.GetCustomAttributes());
        }
        foreach (EventDefinitionHandle h in type.GetEvents())
        {
            EventDefinition ev = reader.GetEventDefinition(h);
            provider.Record(ev.Type);
            RecordAttributes(reader, provider, ev.GetCustomAttributes());
        }
        foreach (MethodDefinitionHandle h in type.GetMethods())
        {
            MethodDefinition method = reader.GetMethodDefinition(h);
            method.DecodeSignature(provider, null);
            RecordAttributes(reader, provider, method.GetCustomAttributes());
            RecordConstraints(reader, provider, method.GetGenericParameters());
            foreach (ParameterHandle p in method.GetParameters())
                RecordAttributes(reader, provider, reader.GetParameter(p).GetCustomAttributes());
            if (method.RelativeVirtualAddress != 0)
                RecordBody(reader, provider, pe.GetMethodBody(method.RelativeVirtualAddress));
        }
    }

    private static void RecordBody(MetadataReader reader, TypeNameProvider provider, MethodBodyBlock body)
    {
        if (!body.LocalSignature.IsNil)
            reader.GetStandaloneSignature(body.LocalSignature).DecodeLocalSignature(provider, null);
        foreach (ExceptionRegion region in body.ExceptionRegions)
            if (!region.CatchType.IsNil) provider.Record(region.CatchType);
        foreach (EntityHandle token in IlOperands.Tokens(body))
            RecordMember(reader, provider, token);
    }

    private static void RecordMember(MetadataReader reader, TypeNameProvider provider, EntityHandle handle)
    {
        switch (handle.Kind)
        {
            case HandleKind.TypeReference:
            case HandleKind.TypeSpecification:
                provider.Record(handle);
                break;
            case HandleKind.MemberReference:
                MemberReference member = reader.GetMemberReference((MemberReferenceHandle)handle);
                RecordMember(reader, provider, member.Parent);
                if (member.GetKind() == MemberReferenceKind.Method) member.DecodeMethodSignature(provider, null);
                else member.DecodeFieldSignature(provider, null);
                break;
            case HandleKind.MethodSpecification:
                MethodSpecification spec = reader.GetMethodSpecification((MethodSpecificationHandle)handle);
                RecordMember(reader, provider, spec.Method);
                spec.DecodeSignature(provider, null);
                break;
            case HandleKind.StandaloneSignature:
                StandaloneSignature sig = reader.GetStandaloneSignature((StandaloneSignatureHandle)handle);
                if (sig.GetKind() == StandaloneSignatureKind.Method) sig.DecodeMethodSignature(provider, null);
                break;
        }
    }

    private static void RecordAttributes(MetadataReader reader, TypeNameProvider provider, CustomAttributeHandleCollection attributes)
    {
        foreach (CustomAttributeHandle h in attributes)
            RecordMember(reader, provider, reader.GetCustomAttribute(h).Constructor);
    }

    private static void RecordConstraints(MetadataReader reader, TypeNameProvider provider, GenericParameterHandleCollection parameters)
    {
        foreach (GenericParameterHandle p in parameters)
            foreach (GenericParameterConstraintHandle c in reader.GetGenericParameter(p).GetConstraints())
                provider.Record(reader.GetGenericParameterConstraint(c).Type);
    }

    private static string OutermostName(MetadataReader reader, TypeDefinition type)
    {
        while (type.IsNested) type = reader.GetTypeDefinition(type.GetDeclaringType());
        string ns = reader.GetString(type.Namespace);
        string name = reader.GetString(type.Name);
        return ns.Length == 0 ? name : ns + "." + name;
    }
}
