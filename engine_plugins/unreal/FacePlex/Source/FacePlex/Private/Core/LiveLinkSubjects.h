// FacePlex core: Live Link subject names for several characters (issue 21 item 6).
//
// A MetaHuman face AnimBP names its Live Link subject at edit time, so each character's default
// subject must be unique among the characters of a level, the same on every run (PIE, packaged)
// and visible/editable on the component. DefaultSubjectName() derives it from the owning actor's
// object name (saved with the level, unlike the editor-only actor label) and, for a second
// FacePlex component on the same actor, the component's name. SubjectRegistry counts who holds a
// subject, so a duplicate is reported when the second character claims it, and one character's
// EndPlay does not remove a subject another one still publishes. Game thread only.
#pragma once

#include <algorithm>
#include <cstddef>
#include <map>
#include <string>
#include <vector>

namespace FacePlexCore {

/** The name a FacePlex component gets when none is created for its subject class by default. */
constexpr const char* kDefaultCharacterComponentName = "FacePlexCharacter";

/** Live Link subject names are FNames shown in the AnimBP's picker: keep letters, digits, '_' and
 *  '-'; anything else becomes '_'. */
inline std::string SanitizeSubjectName(const std::string& s)
{
    std::string out = s;
    for (char& c : out) {
        const bool ok = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '-';
        if (!ok) c = '_';
    }
    return out;
}

/** "FacePlex_<Owner>" for the actor's first FacePlex component (its default component name),
 *  "FacePlex_<Owner>_<Component>" for any other. `ownerName`: the actor's object name (e.g.
 *  "BP_Ada_C_1"), stable from run to run for actors saved in a level. */
inline std::string DefaultSubjectName(const std::string& ownerName, const std::string& componentName)
{
    std::string name = "FacePlex_" + SanitizeSubjectName(ownerName.empty() ? "Character" : ownerName);
    if (!componentName.empty() && componentName != kDefaultCharacterComponentName)
        name += "_" + SanitizeSubjectName(componentName);
    return name;
}

/** Who publishes which subject. Keys are any stable strings (the component's path name). */
class SubjectRegistry {
public:
    /** `holder` publishes `subject`. Returns the OTHER holders already publishing it (empty: the
     *  subject is unique; otherwise two faces would share it -- warn). Claiming twice is a no-op. */
    std::vector<std::string> Claim(const std::string& subject, const std::string& holder)
    {
        std::vector<std::string>& holders = holders_[subject];
        std::vector<std::string> others;
        for (const std::string& h : holders)
            if (h != holder) others.push_back(h);
        if (std::find(holders.begin(), holders.end(), holder) == holders.end()) holders.push_back(holder);
        return others;
    }

    /** `holder` stops publishing `subject`. True when nobody publishes it any more: only then may
     *  the Live Link subject be removed. False also when `holder` did not hold it. */
    bool Release(const std::string& subject, const std::string& holder)
    {
        auto it = holders_.find(subject);
        if (it == holders_.end()) return false;
        std::vector<std::string>& holders = it->second;
        auto h = std::find(holders.begin(), holders.end(), holder);
        if (h == holders.end()) return false;
        holders.erase(h);
        if (!holders.empty()) return false;
        holders_.erase(it);
        return true;
    }

    /** Number of holders of `subject`. */
    size_t Holders(const std::string& subject) const
    {
        auto it = holders_.find(subject);
        return it == holders_.end() ? 0 : it->second.size();
    }

    /** Every subject held, with its holder count (for a status line). */
    std::map<std::string, size_t> Subjects() const
    {
        std::map<std::string, size_t> out;
        for (const auto& kv : holders_) out[kv.first] = kv.second.size();
        return out;
    }

private:
    std::map<std::string, std::vector<std::string>> holders_;
};

}  // namespace FacePlexCore
