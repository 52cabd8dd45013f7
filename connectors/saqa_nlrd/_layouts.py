"""Fixed-width record layouts of the NLRD load files this connector reads.

Written from the field tables of "Specifications for Load Files for the National Learners'
Records Database, Version 2.0" as reconstructed from three independent implementations (see the
README for provenance). Each field is (name, length, required, kind):

  required  'Y' must not be blank, 'N' optional, 'C' conditional (checked by the record rules)
  kind      'text'           free text, kept as given (trimmed)
            'date'           CCYYMMDD
            'code:<table>'   must be a code of that lookup table (`_lookups.TABLES`)
            'digits'         only 0-9 (ids, ratings)

Start offsets are computed from the lengths, so a layout cannot disagree with its own record
length; `tests/unit/connectors/test_saqa_nlrd_layouts.py` checks every offset against the
derived reference layouts.
"""
from __future__ import annotations

from dataclasses import dataclass

LAYOUT_VERSION = "NLRD load files v2.0 (field tables as of 18 May 2018; File 29 'version two' of 30 Dec 2019)"


@dataclass(frozen=True)
class Field:
    name: str
    length: int
    required: str
    kind: str
    start: int          # 0-based offset into the record


@dataclass(frozen=True)
class Layout:
    file_no: str
    title: str
    fields: tuple[Field, ...]

    @property
    def record_length(self) -> int:
        return sum(f.length for f in self.fields)

    def field(self, name: str) -> Field:
        for f in self.fields:
            if f.name == name:
                return f
        raise KeyError(name)


def _layout(file_no: str, title: str, spec: list[tuple[str, int, str, str]]) -> Layout:
    out, pos = [], 0
    for name, length, req, kind in spec:
        out.append(Field(name, length, req, kind, pos))
        pos += length
    return Layout(file_no, title, tuple(out))


PROVIDER = _layout("21", "Provider", [
    ("Provider_Code", 20, "Y", "text"),
    ("Etqa_Id", 10, "Y", "text"),
    ("Std_Industry_Class_Code", 10, "N", "text"),
    ("Provider_Name", 128, "Y", "text"),
    ("Provider_Type_Id", 10, "Y", "code:provider_type"),
    ("Provider_Address_1", 50, "Y", "text"),
    ("Provider_Address_2", 50, "Y", "text"),
    ("Provider_Address_3", 50, "N", "text"),
    ("Provider_Postal_Code", 4, "Y", "text"),
    ("Provider_Phone_Number", 20, "N", "text"),
    ("Provider_Fax_Number", 20, "N", "text"),
    ("Provider_Sars_Number", 20, "N", "text"),
    ("Provider_Contact_Name", 50, "N", "text"),
    ("Provider_Contact_Email_Address", 50, "N", "text"),
    ("Provider_Contact_Phone_Number", 20, "N", "text"),
    ("Provider_Contact_Cell_Number", 20, "N", "text"),
    ("Provider_Accreditation_Num", 20, "N", "text"),
    ("Provider_Accredit_Start_Date", 8, "C", "date"),
    ("Provider_Accredit_End_Date", 8, "C", "date"),
    ("Etqa_Decision_Number", 20, "N", "text"),
    ("Provider_Class_Id", 10, "Y", "code:provider_class"),
    ("Structure_Status_Id", 10, "Y", "code:structure_status"),
    ("Province_Code", 2, "Y", "code:province"),
    ("Country_Code", 4, "Y", "text"),
    ("Latitude_Degree", 3, "C", "text"),
    ("Latitude_Minutes", 2, "C", "text"),
    ("Latitude_Seconds", 6, "C", "text"),
    ("Longitude_Degree", 2, "C", "text"),
    ("Longitude_Minutes", 2, "C", "text"),
    ("Longitude_Seconds", 6, "C", "text"),
    ("Provider_Physical_Address_1", 50, "N", "text"),
    ("Provider_Physical_Address_2", 50, "N", "text"),
    ("Provider_Physical_Address_Town", 50, "N", "text"),
    ("Provider_Phys_Address_Postcode", 4, "N", "text"),
    ("Provider_Web_Address", 50, "N", "text"),
    ("Date_Stamp", 8, "Y", "date"),
])

PROVIDER_ACCREDITATION = _layout("24", "Provider Accreditation", [
    ("Learnership_Id", 10, "C", "text"),
    ("Qualification_Id", 10, "C", "text"),
    ("Unit_Standard_Id", 10, "C", "text"),
    ("Provider_Code", 20, "Y", "text"),
    ("Provider_Etqa_Id", 10, "Y", "text"),
    ("Provider_Accreditation_Num", 20, "N", "text"),
    ("Provider_Accredit_Assessor_Ind", 1, "N", "code:yes_no"),
    ("Provider_Accred_Start_Date", 8, "Y", "date"),
    ("Provider_Accred_End_Date", 8, "Y", "date"),
    ("Etqa_Decision_Number", 20, "N", "text"),
    ("Provider_Accred_Status_Code", 10, "Y", "code:accreditation_status"),
    ("Date_Stamp", 8, "Y", "date"),
])

PERSON = _layout("25", "Person Information", [
    ("National_Id", 15, "C", "digits"),
    ("Person_Alternate_Id", 20, "C", "text"),
    ("Alternative_Id_Type", 3, "Y", "code:alternative_id_type"),
    ("Equity_Code", 10, "Y", "code:equity"),
    ("Nationality_Code", 3, "Y", "text"),
    ("Home_Language_Code", 10, "Y", "code:home_language"),
    ("Gender_Code", 1, "Y", "code:gender"),
    ("Citizen_Resident_Status_Code", 10, "Y", "code:citizen_resident_status"),
    ("Socioeconomic_Status_Code", 2, "Y", "code:socioeconomic_status"),
    ("Disability_Status_Code", 10, "Y", "code:disability_status"),
    ("Person_Last_Name", 45, "Y", "text"),
    ("Person_First_Name", 26, "Y", "text"),
    ("Person_Middle_Name", 50, "N", "text"),
    ("Person_Title", 10, "N", "text"),
    ("Person_Birth_Date", 8, "Y", "date"),
    ("Person_Home_Address_1", 50, "N", "text"),
    ("Person_Home_Address_2", 50, "N", "text"),
    ("Person_Home_Address_3", 50, "N", "text"),
    ("Person_Postal_Address_1", 50, "N", "text"),
    ("Person_Postal_Address_2", 50, "N", "text"),
    ("Person_Postal_Address_3", 50, "N", "text"),
    ("Person_Home_Addr_Postal_Code", 4, "N", "text"),
    ("Person_Postal_Addr_Post_Code", 4, "N", "text"),
    ("Person_Phone_Number", 20, "N", "text"),
    ("Person_Cell_Phone_Number", 20, "N", "text"),
    ("Person_Fax_Number", 20, "N", "text"),
    ("Person_Email_Address", 50, "N", "text"),
    ("Province_Code", 2, "Y", "code:province"),
    ("Provider_Code", 20, "C", "text"),
    ("Provider_Etqa_Id", 10, "C", "text"),
    ("Person_Previous_Lastname", 45, "N", "text"),
    ("Person_Previous_Alternate_Id", 20, "C", "text"),
    ("Person_Previous_Alternative_Id_Type", 3, "C", "text"),
    ("Person_Previous_Provider_Code", 20, "C", "text"),
    ("Person_Previous_Provider_Etqa_Id", 10, "C", "text"),
    ("Seeing_Rating_Id", 2, "N", "digits"),
    ("Hearing_Rating_Id", 2, "N", "digits"),
    ("Communicating_Rating_Id", 2, "N", "digits"),
    ("Walking_Rating_Id", 2, "N", "digits"),
    ("Remembering_Rating_Id", 2, "N", "digits"),
    ("Selfcare_Rating_Id", 2, "N", "digits"),
    ("Date_Stamp", 8, "Y", "date"),
])

QUALIFICATION_ENROLMENT = _layout("29", "Qualification Enrolment/Achievement", [
    ("National_Id", 15, "C", "digits"),
    ("Person_Alternate_Id", 20, "C", "text"),
    ("Alternative_Id_Type", 3, "Y", "code:alternative_id_type"),
    ("Qualification_Id", 10, "Y", "text"),
    ("Learner_Achievement_Status_Id", 3, "Y", "code:learner_achievement_status"),
    ("Assessor_Registration_Number", 20, "N", "text"),
    ("Learner_Achievement_Type_Id", 3, "Y", "digits"),
    ("Learner_Achievement_Date", 8, "C", "date"),
    ("Learner_Enrolled_Date", 8, "Y", "date"),
    ("Honours_Classification", 3, "N", "text"),
    ("Part_Of", 2, "Y", "code:part_of"),
    ("Learnership_Id", 10, "C", "text"),
    ("Provider_Code", 20, "Y", "text"),
    ("Provider_Etqa_Id", 10, "Y", "text"),
    ("Assessor_Etqa_Id", 10, "Y", "text"),
    ("Certification_Date", 8, "N", "date"),
    ("Date_Stamp", 8, "Y", "date"),
])

LAYOUTS: dict[str, Layout] = {lay.file_no: lay for lay in
                              (PROVIDER, PROVIDER_ACCREDITATION, PERSON, QUALIFICATION_ENROLMENT)}

#: Record lengths of NLRD files this connector recognises but does not convert (22, 26-28, 30);
#: a file of one of these types is reported once as unsupported instead of line by line.
UNSUPPORTED_LENGTHS = {213: "22", 157: "26", 119: "27", 143: "28", 171: "30"}
