// Decodes metadata signatures into type names and records every type of another assembly met on
// the way (a generic argument counts as much as the generic type itself).
using System.Collections.Immutable;
using System.Reflection.Metadata;

namespace Architecture.Tests.Checker;

internal sealed class TypeNameProvider : ISignatureTypeProvider<string, object?>
{
    private readonly MetadataReader _reader;

    public TypeNameProvider(MetadataReader reader) => _reader = reader;

    /// <summary>Where the types met are recorded; set per inspected type.</summary>
    public HashSet<UsedType> Sink { get; set; } = [];

    public void Record(EntityHandle handle)
    {
        switch (handle.Kind)
        {
            case HandleKind.TypeReference:
                GetTypeFromReference(_reader, (TypeReferenceHandle)handle, 0);
                break;
            case HandleKind.TypeSpecification:
                _reader.GetTypeSpecification((TypeSpecificationHandle)handle).DecodeSignature(this, null);
                break;
        }
    }

    public string GetTypeFromReference(MetadataReader reader, TypeReferenceHandle handle, byte rawTypeKind)
    {
        (string ns, string fullName) = Name(reader, handle);
        Sink.Add(new UsedType(ns, fullName));
        return fullName;
    }

    private static (string Namespace, string FullName) Name(MetadataReader reader, TypeReferenceHandle handle)
    {
        TypeReference r = reader.GetTypeReference(handle);
        string name = reader.GetString(r.Name);
        if (r.ResolutionScope.Kind == HandleKind.TypeReference)
        {
            (string ns, string outer) = Name(reader, (TypeReferenceHandle)r.ResolutionScope);
            return (ns, outer + "+" + name);
        }
        string nsName = reader.GetString(r.Namespace);
        return (nsName, nsName.Length == 0 ? name : nsName + "." + name);
    }

    public string GetTypeFromDefinition(MetadataReader reader, TypeDefinitionHandle handle, byte rawTypeKind) =>
        reader.GetString(reader.GetTypeDefinition(handle).Name);

    public string GetTypeFromSpecification(MetadataReader reader, object? genericContext, TypeSpecificationHandle handle, byte rawTypeKind) =>
        reader.GetTypeSpecification(handle).DecodeSignature(this, genericContext);

    public string GetGenericInstantiation(string genericType, ImmutableArray<string> typeArguments) =>
        genericType + "<" + string.Join(",", typeArguments) + ">";

    public string GetArrayType(string elementType, ArrayShape shape) => elementType + "[,]";
    public string GetSZArrayType(string elementType) => elementType + "[]";
    public string GetByReferenceType(string elementType) => elementType + "&";
    public string GetPointerType(string elementType) => elementType + "*";
    public string GetPinnedType(string elementType) => elementType;
    public string GetModifiedType(string modifier, string unmodifiedType, bool isRequired) => unmodifiedType;
    public string GetFunctionPointerType(MethodSignature<string> signature) => "fnptr";
    public string GetGenericMethodParameter(object? genericContext, int index) => "!!" + index;
    public string GetGenericTypeParameter(object? genericContext, int index) => "!" + index;
    public string GetPrimitiveType(PrimitiveTypeCode typeCode) => typeCode.ToString();
}
