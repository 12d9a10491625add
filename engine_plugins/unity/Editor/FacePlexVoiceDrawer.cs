using FacePlex.Core;
using FacePlex.Unity;
using UnityEditor;
using UnityEngine;

namespace FacePlex.Editor
{
    /// <summary>
    /// Inspector for a <see cref="FacePlexVoiceAttribute"/> string (FacePlexCharacter.voice): a popup of the
    /// voices the daemon reported when the character last connected (FacePlexCharacter.knownVoices, from
    /// welcome.voices, labelled with language, gender and accent from welcome.voice_catalog) and a text field holding the value itself, for a voice the list does not have yet or
    /// a blend (<c>af_bella*0.6+am_adam*0.4</c>); a problem with the text shows below it
    /// (FacePlex.Core.VoiceChoices, tested in the core).
    /// Signatures: UnityCsReference 2021.3 Editor/Mono/ScriptAttributeGUI/PropertyDrawer.cs:13 (class), :32
    /// (OnGUI), :53 (GetPropertyHeight); CustomPropertyDrawerAttribute.cs:17; Editor/Mono/EditorGUI.cs:8324
    /// (Popup), :7895 (TextField), :6362 (HelpBox); Editor/Mono/EditorGUIUtility.cs:645 (singleLineHeight);
    /// Editor/Mono/SerializedProperty.bindings.cs:104 (serializedObject), :901 (stringValue);
    /// Editor/Mono/SerializedObject.bindings.cs:117 (targetObject).
    /// </summary>
    [CustomPropertyDrawer(typeof(FacePlexVoiceAttribute))]
    public sealed class FacePlexVoiceDrawer : PropertyDrawer
    {
        private const float Gap = 2f;

        private static string[] Known(SerializedProperty property)
        {
            var ch = property.serializedObject.targetObject as FacePlexCharacter;
            return ch != null ? ch.knownVoices : null;
        }

        private static string[] Labels(SerializedProperty property)
        {
            var ch = property.serializedObject.targetObject as FacePlexCharacter;
            return ch != null ? ch.knownVoiceLabels : null;
        }

        public override float GetPropertyHeight(SerializedProperty property, GUIContent label)
        {
            float line = EditorGUIUtility.singleLineHeight;
            bool problem = VoiceChoices.Check(property.stringValue, Known(property)) != null;
            return 2 * line + Gap + (problem ? 2 * line + Gap : 0f);
        }

        public override void OnGUI(Rect position, SerializedProperty property, GUIContent label)
        {
            float line = EditorGUIUtility.singleLineHeight;
            var known = Known(property);
            var choices = new VoiceChoices(known, property.stringValue, Labels(property));
            int picked = EditorGUI.Popup(new Rect(position.x, position.y, position.width, line), label.text, choices.Selected, choices.Options);
            if (picked != choices.Selected) property.stringValue = choices.ValueFor(picked, property.stringValue);
            property.stringValue = EditorGUI.TextField(new Rect(position.x, position.y + line + Gap, position.width, line),
                                                       "Voice id or blend", property.stringValue);
            var problem = VoiceChoices.Check(property.stringValue, known);
            if (problem != null)
                EditorGUI.HelpBox(new Rect(position.x, position.y + 2 * (line + Gap), position.width, 2 * line), problem, MessageType.Warning);
        }
    }
}
