using System;

namespace AppServiceDr.Engine
{
    /// <summary>
    /// Marks a request property that holds a secret (a password, a token, a value to store, a SAS URL). Its value
    /// is never written to a journal, report or message. A resumed run gets it again from the caller, under the
    /// name of the cmdlet parameter that carries it, and is refused with that name when it is not given.
    /// </summary>
    [AttributeUsage(AttributeTargets.Property)]
    public sealed class SecretAttribute : Attribute
    {
        public SecretAttribute(string parameter)
        {
            Parameter = parameter;
        }

        /// <summary>The cmdlet parameter that supplies the value, as an administrator types it (NewValue, Credential).</summary>
        public string Parameter { get; }
    }
}
