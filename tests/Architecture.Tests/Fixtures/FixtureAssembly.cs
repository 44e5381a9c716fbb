// Small assemblies that break a rule on purpose, emitted in memory (PersistedAssemblyBuilder) and
// saved to a PE image: the checker reads them exactly like a built assembly, and nothing named
// like a production assembly ever reaches the build output.
using System.Reflection;
using System.Reflection.Emit;

namespace Architecture.Tests.Fixtures;

public sealed class FixtureAssembly
{
    private readonly PersistedAssemblyBuilder _assembly;
    private readonly ModuleBuilder _module;

    public FixtureAssembly(string name)
    {
        _assembly = new PersistedAssemblyBuilder(new AssemblyName(name), typeof(object).Assembly);
        _module = _assembly.DefineDynamicModule(name);
    }

    /// <summary>A public class with one private field of type <paramref name="fieldType"/>.</summary>
    public FixtureAssembly WithFieldOf(string typeName, Type fieldType)
    {
        TypeBuilder type = _module.DefineType(typeName, TypeAttributes.Public | TypeAttributes.Class);
        type.DefineField("_field", fieldType, FieldAttributes.Private);
        type.CreateType();
        return this;
    }

    /// <summary>A class whose signatures are clean but whose IL mentions <paramref name="used"/> (ldtoken).</summary>
    public FixtureAssembly WithIlMention(string typeName, Type used)
    {
        TypeBuilder type = _module.DefineType(typeName, TypeAttributes.Public | TypeAttributes.Class);
        MethodBuilder method = type.DefineMethod("Touch", MethodAttributes.Public | MethodAttributes.Static, typeof(void), Type.EmptyTypes);
        ILGenerator il = method.GetILGenerator();
        il.Emit(OpCodes.Ldtoken, used);
        il.Emit(OpCodes.Pop);
        il.Emit(OpCodes.Ret);
        type.CreateType();
        return this;
    }

    public Stream Save()
    {
        var image = new MemoryStream();
        _assembly.Save(image);
        image.Position = 0;
        return image;
    }
}
