"""NLRD lookup codes (Appendix A of the load specification, as far as it could be reconstructed).

Every table here is closed: a code outside it rejects the line ("unknown code in lookup ...").
Labels come from third-party implementations (see README) and are used only for readable
attributes; events keep the codes themselves. Two tables were ambiguous in the sources, so both
readings are accepted and the README says so: `province` (digits 1-9/N or two-letter
abbreviations) and `accreditation_status` (letters A/I/L/V or Structure_Status_Id codes).
`learner_achievement_status` accepts the labelled codes and the codes seen unlabelled in the
sources; only 15 (Achieved) becomes a credential.
"""
from __future__ import annotations

ALTERNATIVE_ID_TYPE = {
    "521": "SAQA Member ID", "527": "Passport Number", "529": "Drivers License",
    "531": "Temporary ID number", "533": "None", "535": "Unknown", "537": "Student number",
    "538": "Work Permit Number", "539": "Employee Number", "540": "Birth Certificate Number",
    "541": "HSRC Register Number", "561": "ETQA Record Number", "565": "Refugee Number",
}
#: Alternative_Id_Type codes that mean "no alternate id".
NO_ALTERNATE_ID = {"533", "535"}

EQUITY = {"BA": "Black African", "BC": "Black Coloured", "BI": "Black Indian/Asian",
          "Wh": "White", "Oth": "Other", "U": "Unknown"}
GENDER = {"M": "male", "F": "female"}
CITIZEN_RESIDENT_STATUS = {"SA": "South African", "D": "dual", "PR": "permanent resident",
                           "O": "other", "U": "unknown"}
HOME_LANGUAGE = {
    "Eng": "English", "Zul": "isiZulu", "Nde": "Ndebele", "Afr": "Afrikaans", "Oth": "Other",
    "SASL": "South African Sign Language", "Sep": "sePedi", "Ses": "seSotho", "Set": "seTswana",
    "Swa": "siSwati", "Tsh": "tshivenda", "Xho": "isiXhosa", "Xit": "xiTsonga", "U": "Unknown",
}
SOCIOECONOMIC_STATUS = {
    "01": "employed", "02": "unemployed", "03": "not working, not looking", "04": "home-maker",
    "06": "scholar/student", "07": "pensioner/retired", "08": "not working - disabled",
    "09": "not working - no wish to work", "10": "not working N.E.C.", "97": "N/A aged <15",
    "98": "N/A institution", "U": "unspecified",
}
DISABILITY_STATUS = {
    "01": "sight", "02": "hearing", "03": "communication", "04": "physical", "05": "intellectual",
    "06": "emotional", "07": "multiple", "09": "disabled (unspecified)", "N": "none",
}
ACHIEVED = "15"
LEARNER_ACHIEVEMENT_STATUS = {
    "3": "Enrolled", "5": "Re-enrolled", ACHIEVED: "Achieved",
    **{c: "(unlabelled)" for c in ("2", "4", "7", "10", "14", "27", "28", "29", "31", "32",
                                   "49", "50", "69", "70", "89")},
}
PART_OF = {"1": "Miscellaneous stand-alone", "2": "(Part of a) Qualification",
           "3": "(Part of a) Learnership"}
PROVIDER_CLASS = {"1": "Unknown", "3": "Foreign", "4": "Public", "5": "Private",
                  "6": "Interim (SAQA use only)", "7": "NGO/CBO", "8": "Mixed public and private"}
PROVIDER_TYPE = {"2": "Development Enterprise NGO", "3": "Education", "4": "Employer",
                 "5": "Training", "500": "Education and Training"}
STRUCTURE_STATUS = {
    "501": "Registered", "506": "Proposed", "510": "Accredited", "511": "Reaccredited",
    "512": "De-accredited", "513": "Accredited - Provisional", "514": "Withdrawn",
    "515": "Unsuccessful", "574": "Previously used in interim process", "575": "Closed (Legacy)",
}
PROVINCE = {
    **{str(i): f"province {i}" for i in range(1, 10)}, "N": "national",
    "EC": "Eastern Cape", "FS": "Free State", "GP": "Gauteng", "KZ": "KwaZulu-Natal",
    "LP": "Limpopo", "MP": "Mpumalanga", "NC": "Northern Cape", "NW": "North West",
    "WC": "Western Cape",
}
YES_NO = {"Y": "yes", "N": "no"}

#: Provider_Accred_Status_Code -> canonical AccreditationChanged.status. Letters follow the
#: HWSETA implementation (Active, Inactive, Legacy, Provisional); numbers are read as
#: Structure_Status_Id codes, as another implementation types the field numeric.
ACCREDITATION_STATUS = {
    "A": "ACCREDITED", "I": "WITHDRAWN", "L": "EXPIRED", "V": "CONDITIONAL",
    "501": "ACCREDITED", "506": "PENDING", "510": "ACCREDITED", "511": "ACCREDITED",
    "512": "WITHDRAWN", "513": "CONDITIONAL", "514": "WITHDRAWN", "515": "WITHDRAWN",
    "575": "EXPIRED",
}

TABLES: dict[str, dict[str, str]] = {
    "alternative_id_type": ALTERNATIVE_ID_TYPE,
    "equity": EQUITY,
    "gender": GENDER,
    "citizen_resident_status": CITIZEN_RESIDENT_STATUS,
    "home_language": HOME_LANGUAGE,
    "socioeconomic_status": SOCIOECONOMIC_STATUS,
    "disability_status": DISABILITY_STATUS,
    "learner_achievement_status": LEARNER_ACHIEVEMENT_STATUS,
    "part_of": PART_OF,
    "provider_class": PROVIDER_CLASS,
    "provider_type": PROVIDER_TYPE,
    "structure_status": STRUCTURE_STATUS,
    "province": PROVINCE,
    "yes_no": YES_NO,
    "accreditation_status": ACCREDITATION_STATUS,
}
